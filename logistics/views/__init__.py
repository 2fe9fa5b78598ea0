"""Staff pages of logistics, one module per area."""
