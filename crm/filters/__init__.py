from crm.filters.customers import CustomerFilter

__all__ = ["CustomerFilter"]
