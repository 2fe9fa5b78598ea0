"""Every write of crm, one module per area: customers (create, match, change,
contacts, addresses, tags, consent), merge (duplicates and merging),
interactions, scoring (the nightly set-based scores and tiers), care (care
tasks and their rules), segments, campaigns."""

from crm.services.customers import (
    CustomerInvalid,
    customer_create,
    customer_match_or_create,
    phone_normalise,
)

__all__ = [
    "CustomerInvalid",
    "customer_create",
    "customer_match_or_create",
    "phone_normalise",
]
