"""The one error a broken rule raises, whoever checks it (API request, staff tool, build)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal


class Invalid(ValueError):
    """A field that breaks its rule. The API answers it as 400 {code, message, field}."""

    status = 400

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "field": self.field}


class Problem(ValueError):
    """One field of a staff-written file that breaks its rule: field, expected, found.

    A ValueError, so a pydantic validator of the site may raise it too."""

    def __init__(self, field: str, expected: str, found: str) -> None:
        super().__init__(f"{field}: expected {expected}, found {found}")
        self.field, self.expected, self.found = field, expected, found


class Problems(Exception):
    """Every problem of one file, so staff fix them all in one go."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{f}: expected {e}, found {x}" for f, e, x in problems))
        self.problems = problems


def found(value: object) -> str:
    """A found value as staff typed it, for error messages (the site's and the API's)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        if len(value) <= 5 and all(isinstance(v, str | int | float) for v in value):
            return repr(value)
        return f"a list of {len(value)}"
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal):  # an amount read from a report, as written
        return str(value)
    return repr(value)
