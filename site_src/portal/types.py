"""Field types shared by the content schemas."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

from .errors import FieldProblem

WHEN_EXPECTED = "a date such as 2026-05-01 or a date and time such as 2026-05-01 09:00"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


def parse_when(value: Any) -> date | datetime:
    """'2026-05-01' → date (all day); '2026-05-01 09:00' → naive local datetime."""
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip() if isinstance(value, str | int) else None
    try:
        if text and _DATE.match(text):
            return date.fromisoformat(text)
        if text and _DATETIME.match(text):
            return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise FieldProblem("", f"{WHEN_EXPECTED} (a real calendar date)", repr(value)) from None
    raise FieldProblem("", WHEN_EXPECTED, repr(value) if value is not None else "nothing")


When = Annotated[date | datetime, BeforeValidator(parse_when)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def show_when(value: date | datetime) -> str:
    """Back to the form staff wrote it in, for error messages."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def one_of(value: str, names: list[str]) -> str:
    """A configured name (category and the like), or the error listing the choices."""
    if value not in names:
        raise FieldProblem("", "one of " + ", ".join(repr(c) for c in names), repr(value))
    return value
