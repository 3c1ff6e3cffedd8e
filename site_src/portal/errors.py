"""Content errors that tell staff which file and field to fix, what was expected and what was found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from portal_contracts.errors import Problem, found


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem in one staff-authored file."""

    file: str
    field: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: expected {self.expected}, found {self.found}"


class ContentInvalid(Exception):
    """Raised with every problem found, so staff fix them all in one go."""

    def __init__(self, errors: Iterable[ContentError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.errors)
        head = f"{n} problem{'s' if n != 1 else ''} in the portal content:"
        return "\n".join([head, *(f"  {e}" for e in self.errors)])


# Plain-language expectations for the errors staff meet most; others fall back to pydantic's text.
_FRIENDLY = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "decimal_parsing": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "string_too_short": "text of at least {min_length} character(s)",
    "string_too_long": "text of at most {max_length} characters",
    "string_pattern_mismatch": "text matching the pattern {pattern!r}",
    "greater_than": "a number greater than {gt}",
    "greater_than_equal": "a number of at least {ge}",
    "less_than_equal": "a number of at most {le}",
    "less_than": "a number less than {lt}",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "list_type": "a list",
    "dict_type": "a mapping of field: value",
    "model_type": "a mapping of field: value",
    "date_type": "a date such as 2026-05-01",
    "date_parsing": "a date such as 2026-05-01",
    "date_from_datetime_parsing": "a date such as 2026-05-01",
    "date_from_datetime_inexact": "a date without a time, such as 2026-05-01",
    "datetime_type": "a date and time such as 2026-05-01 09:00",
    "datetime_parsing": "a date and time such as 2026-05-01 09:00",
    "datetime_from_date_parsing": "a date and time such as 2026-05-01 09:00",
    "literal_error": "one of {expected}",
    "enum": "one of {expected}",
}

_PREFIXES = ("Input should be ", "Value error, ", "Assertion failed, ")


def from_pydantic(file: str, exc: ValidationError, prefix: str = "") -> list[ContentError]:
    """Turn a pydantic ValidationError into ContentErrors with field, expected and found."""
    out: list[ContentError] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        field = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "(file)")
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if kind == "missing":
            out.append(ContentError(file, field, "a value (this field is required)", "nothing"))
            continue
        if kind == "extra_forbidden":
            out.append(ContentError(file, field, "no such field (check the spelling)",
                                    found(err["input"])))
            continue
        if kind == "value_error" and isinstance(ctx.get("error"), FieldProblem):
            problem = ctx["error"]
            where = f"{loc}.{problem.field}" if loc and problem.field else loc or problem.field
            out.append(ContentError(file, f"{prefix}{where}" if where else field,
                                    problem.expected, problem.found))
            continue
        friendly = _FRIENDLY.get(kind)
        if friendly is not None:
            out.append(ContentError(file, field, friendly.format(**ctx), found(err["input"])))
            continue
        msg = err["msg"]
        for p in _PREFIXES:
            if msg.startswith(p):
                msg = msg[len(p):]
        out.append(ContentError(file, field, msg, found(err["input"])))
    return out



# Raised by model validators that compare fields, so the message keeps its structure.
FieldProblem = Problem
