"""Domain errors: raised by services, answered by the API with the shared
error format and by pages as a form or message error."""


class DomainError(Exception):
    """A business rule refused the operation.

    `code` is a stable machine-readable word, `message` a translated sentence
    for people, `field` the input it concerns (if any).
    """

    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class LockTimeout(DomainError):
    """A row lock could not be had in time; the client should retry."""

    code = "lock_timeout"
