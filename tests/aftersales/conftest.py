from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401  (shared fixtures)
from tests.orders.conftest import place, stock, world  # noqa: F401
