"""Field types shared by the content schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from portal_contracts.files import when as parse_when

from .errors import FieldProblem

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
