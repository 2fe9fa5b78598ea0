"""API serializers of crm, one module per area."""
