"""Staff forms of crm, one module per area."""
