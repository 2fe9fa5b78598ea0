"""forecasts models (see analytics/models/__init__.py)."""

__all__: list[str] = []
