"""Domain errors raised by services; backend/errors.py maps them to HTTP."""
from __future__ import annotations

from typing import Any

from ..tenancy import Forbidden  # noqa: F401  (re-exported: 403)


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class NotFound(ServiceError):
    """Does not exist, or is outside the principal's reach (indistinguishable on purpose)."""

    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class ValidationFailed(ServiceError):
    """Input breaks a rule; ``errors`` is ``[{"field": ..., "message": ...}]``."""

    status = 422
    title = "Validation failed"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class TooLarge(ServiceError):
    status = 413
    title = "Payload too large"


class StaleObject(Conflict):
    """The object changed since the client read it (optimistic concurrency)."""

    title = "Changed meanwhile"
