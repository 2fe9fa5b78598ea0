"""Staff page forms, one module per sub-domain."""
