"""Field types shared by the content schemas (`one_of` is portal_contracts', re-exported)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from portal_contracts.files import one_of
from portal_contracts.files import when as parse_when
from portal_contracts.messages import is_phone

from .errors import FieldProblem

When = Annotated[date | datetime, BeforeValidator(parse_when)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    """A schema that refuses unknown fields (a misspelt one is reported, not ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _phone(value: str) -> str:
    """The phone rule the API holds owners' numbers to (portal_contracts.messages.PHONE)."""
    if not is_phone(value):
        raise FieldProblem("", "a phone number such as '0571-8765 4300'", repr(value))
    return value


__all__ = ["Phone", "Strict", "Text", "When", "one_of", "public_number", "show_when"]

Phone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_phone)]


def public_number(value: str, phones: list[str]) -> str:
    """A number from content/community.yml's contacts: no private number reaches the site."""
    if phones and value not in phones:
        raise FieldProblem("", "one of the public numbers in content/community.yml ("
                           + ", ".join(repr(p) for p in phones) + ")", repr(value))
    return value


def show_when(value: date | datetime) -> str:
    """Back to the form staff wrote it in, for error messages."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


