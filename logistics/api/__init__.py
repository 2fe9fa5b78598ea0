"""REST API of logistics, one module per area; erp/api.py registers them."""
