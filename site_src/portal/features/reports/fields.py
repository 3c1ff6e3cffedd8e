"""The field types of a disclosure: exact amounts in yuan, percentages, counts."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from portal_contracts.errors import found

from ...errors import FieldProblem

AMOUNT_EXPECTED = "an amount in yuan such as 1234.50 (at most 2 decimal places)"
PERCENT_EXPECTED = "a percentage between 0 and 100"


def _number(value: Any, expected: str) -> Decimal:
    """Decimal from what YAML or a CSV cell holds; a float goes through its shortest text."""
    if isinstance(value, bool) or value is None:
        raise FieldProblem("", expected, "nothing" if value is None else repr(value))
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        if not re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            raise FieldProblem("", expected, repr(value))
        number = Decimal(text)
    else:
        raise FieldProblem("", expected, repr(value))
    if not number.is_finite():
        raise FieldProblem("", expected, found(value))
    return number


def to_money(value: Any) -> Decimal:
    amount = _number(value, AMOUNT_EXPECTED)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise FieldProblem("", AMOUNT_EXPECTED, found(value))
    if amount < 0:
        raise FieldProblem("", "an amount of at least 0", found(value))
    return amount


def to_percent(value: Any) -> Decimal:
    text = value.strip().removesuffix("%") if isinstance(value, str) else value
    rate = _number(text, PERCENT_EXPECTED)
    if not 0 <= rate <= 100:
        raise FieldProblem("", PERCENT_EXPECTED, found(value))
    return rate


# The JSON schema says what the checks above accept (the content editor's form reads it).
Money = Annotated[Decimal, BeforeValidator(to_money), WithJsonSchema(
    {"anyOf": [{"type": "number"}, {"type": "string"}], "minimum": 0, "multipleOf": 0.01})]
Percent = Annotated[Decimal, BeforeValidator(to_percent), WithJsonSchema(
    {"anyOf": [{"type": "number"}, {"type": "string"}], "minimum": 0, "maximum": 100})]
Markdown = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Count = Annotated[int, Field(ge=0)]
