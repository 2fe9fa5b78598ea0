"""API serializers, one module per sub-domain."""
