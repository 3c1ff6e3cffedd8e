"""Errors the API answers with: a status and a JSON body {code, message, field}.

A broken field rule raises portal_contracts' Invalid (400), shared with the site and the
staff tools; these are the domain's other answers.
"""

from __future__ import annotations

from portal_contracts.errors import Invalid

__all__ = ["ApiError", "Changed", "Conflict", "Invalid", "NotFound", "RateLimited", "Unavailable"]


class ApiError(Exception):
    """A client-visible error; never carries a traceback or personal data."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out


class NotFound(ApiError):
    def __init__(self, message: str = "No case with this receipt code.") -> None:
        super().__init__(404, "not_found", message)


class Conflict(ApiError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(409, code, message)


class Changed(Conflict):
    """Someone changed the case since the caller read it: nothing of theirs was written."""

    def __init__(self) -> None:
        super().__init__("changed", "Someone changed this case since you opened it; "
                         "reload it and try again.")


class RateLimited(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate_limited",
                         f"Too many submissions from this connection; try again in {retry_after} s.",
                         headers={"Retry-After": str(retry_after)})


class Unavailable(ApiError):
    """The database cannot be reached or is throttling: nothing was stored, retry later."""

    def __init__(self, retry_after: int = 5) -> None:
        super().__init__(503, "unavailable",
                         "The service is busy; nothing was stored. Please retry shortly.",
                         headers={"Retry-After": str(retry_after)})
