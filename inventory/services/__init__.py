"""Every write to inventory: the catalogue (products, warehouses) and stock."""

from inventory.services.catalog import (
    ProductInvalid,
    gtin_is_valid,
    product_create,
    product_update,
    warehouse_create,
    warehouse_update,
)
from inventory.services.counts import (
    CountError,
    stock_count_approve,
    stock_count_cancel,
    stock_count_open,
    stock_count_record,
    stock_count_submit,
)
from inventory.services.stock import (
    InsufficientStock,
    StockInvalid,
    stock_adjust,
    stock_consume,
    stock_move_enter,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_transfer,
)

__all__ = [
    "CountError",
    "InsufficientStock",
    "ProductInvalid",
    "StockInvalid",
    "gtin_is_valid",
    "product_create",
    "product_update",
    "stock_adjust",
    "stock_consume",
    "stock_count_approve",
    "stock_count_cancel",
    "stock_count_open",
    "stock_count_record",
    "stock_count_submit",
    "stock_move_enter",
    "stock_receive",
    "stock_release",
    "stock_reserve",
    "stock_transfer",
    "warehouse_create",
    "warehouse_update",
]
