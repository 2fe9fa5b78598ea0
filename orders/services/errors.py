from erp.core.errors import DomainError


class OrderInvalid(DomainError):
    status_code = 400
    code = "invalid"


class OrderConflict(DomainError):
    """The same channel order arrived again with different content."""

    status_code = 409
    code = "duplicate_conflict"


class TransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"


class StockShortage(DomainError):
    status_code = 409
    code = "insufficient_stock"
