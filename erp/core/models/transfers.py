"""Bulk import and export jobs run in Celery (erp.core.transfers)."""

__all__: list[str] = []
