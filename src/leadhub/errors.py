"""Domain errors, rendered by each face in its own wire format.

    LeadhubError                 status, category, message
     +-- Unauthorized            401 INVALID_AUTHENTICATION
     +-- NotFound                404 OBJECT_NOT_FOUND
     +-- ValidationError         400 VALIDATION_ERROR
     +-- Conflict                409 CONFLICT
     +-- PayloadTooLarge         413 VALIDATION_ERROR
     +-- UnsupportedMediaType    415 VALIDATION_ERROR
     +-- StoreUnavailable        503 INTERNAL_ERROR (with Retry-After)
"""

from __future__ import annotations

from typing import Any


class LeadhubError(Exception):
    """Base of every error a face renders for a client."""

    status = 500
    category = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, list[str]] | None = None,
        sub_category: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.context = context
        self.sub_category = sub_category


class Unauthorized(LeadhubError):
    status = 401
    category = "INVALID_AUTHENTICATION"


class NotFound(LeadhubError):
    status = 404
    category = "OBJECT_NOT_FOUND"


class ValidationError(LeadhubError):
    status = 400
    category = "VALIDATION_ERROR"


class Conflict(LeadhubError):
    status = 409
    category = "CONFLICT"


class PayloadTooLarge(LeadhubError):
    status = 413
    category = "VALIDATION_ERROR"


class UnsupportedMediaType(LeadhubError):
    status = 415
    category = "VALIDATION_ERROR"


class StoreUnavailable(LeadhubError):
    """The database cannot be reached (stopped, restarting, cut off): retry later."""

    status = 503
    category = "INTERNAL_ERROR"
    retry_after_seconds = 1

    def __init__(self, message: str = "the store is unavailable; retry later") -> None:
        super().__init__(message)
