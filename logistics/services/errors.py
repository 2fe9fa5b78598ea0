from erp.core.errors import DomainError


class LogisticsInvalid(DomainError):
    """Bad input: answered 400 with the field it concerns."""

    status_code = 400
    code = "invalid"


class ShipmentConflict(DomainError):
    """The shipment's state does not allow it (409)."""

    status_code = 409
    code = "conflict"


class ShipmentTransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"
