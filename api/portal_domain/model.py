"""The case: one owner's message and everything staff did about it, declared once.

Every field is declared here with the views that show it:

    OWNER    the status page, for anyone holding the receipt code (never contact details,
             building, unit or who did what)
    STAFF    the desk and `portal-cases show`
    EXPORT   `portal-cases export`'s CSV columns

The store converts a Case to and from its item (`to_plain` / `from_plain`), the figures
read its attributes, and the views are derived from the declarations, so a new field is
one edit here. Standard library only: the owners' function imports it on a cold start.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any, TypeVar

from portal_contracts.clock import iso

OWNER, STAFF, EXPORT = "owner", "staff", "export"


def shown(*views: str, column: tuple[str, Callable[[Any], Any]] | None = None
          ) -> dict[str, Any]:
    """A field's metadata: the views that show it; `column` is its export column when the
    CSV shows it under another name (name, value from the field)."""
    return {"views": frozenset(views), "column": column}


@dataclass(frozen=True)
class Event:
    """One step in the timeline. The owner sees the public ones' time, status and note."""

    at: str
    status: str
    note: str = ""
    by: str = ""           # who did it: staff only
    public: bool = True    # False: an internal step (grade, note, assignment)
    internal: str = ""     # what staff wrote for each other: staff only

    def owner(self) -> dict[str, Any]:
        return {"at": self.at, "status": self.status, "note": self.note}


@dataclass(frozen=True)
class FollowUp:
    """One follow-up call (回访)."""

    at: str
    result: str            # messages.FOLLOWUP_RESULTS
    note: str = ""
    by: str = ""


@dataclass(frozen=True)
class Feedback:
    """The owner's own rating, once, after resolution."""

    rating: int
    comment: str = ""
    at: str = ""


def _rating(feedback: Feedback | None) -> int | str:
    return feedback.rating if feedback else ""


@dataclass(frozen=True)
class Case:
    """An owner's message and its handling, in the order staff read it. Every field has a
    default, so an item stored by an earlier version still reads (absent fields: default)."""

    receipt: str = field(default="", metadata=shown(OWNER, STAFF, EXPORT))
    created_at: str = field(default="", metadata=shown(OWNER, STAFF, EXPORT))
    kind: str = field(default="", metadata=shown(OWNER, STAFF, EXPORT))
    category: str = field(default="", metadata=shown(OWNER, STAFF, EXPORT))
    status: str = field(default="received", metadata=shown(OWNER, STAFF, EXPORT))
    respond_by: str = field(default="", metadata=shown(OWNER, STAFF))
    respond_within_hours: int = field(default=0, metadata=shown(STAFF))
    grade: int | None = field(default=None, metadata=shown(STAFF, EXPORT))
    department: str | None = field(default=None, metadata=shown(STAFF, EXPORT))
    assignee: str | None = field(default=None, metadata=shown(STAFF))
    building: str | None = field(default=None, metadata=shown(STAFF, EXPORT))
    subject: str = field(default="", metadata=shown(STAFF, EXPORT))
    body: str = field(default="", metadata=shown(STAFF, EXPORT))
    anonymous: bool = field(default=False, metadata=shown(STAFF))
    channel: str = field(default="web", metadata=shown(STAFF))       # messages.CHANNELS
    entered_by: str = field(default="", metadata=shown(STAFF))       # staff who took it
    reply: str = field(default="", metadata=shown(OWNER, STAFF, EXPORT))
    first_reply_at: str | None = field(default=None, metadata=shown(STAFF, EXPORT))
    resolved_at: str | None = field(default=None, metadata=shown(STAFF, EXPORT))
    followed_up_at: str | None = field(default=None, metadata=shown(STAFF, EXPORT))
    followup_result: str = field(default="", metadata=shown(STAFF))
    followup_note: str = field(default="", metadata=shown(STAFF))
    next_followup_at: str = field(default="", metadata=shown(STAFF))
    followups: list[FollowUp] = field(default_factory=list, metadata=shown(STAFF))
    reopened: int = field(default=0, metadata=shown(STAFF))
    feedback: Feedback | None = field(default=None, metadata=shown(
        STAFF, EXPORT, column=("rating", _rating)))
    closed_at: str | None = field(default=None, metadata=shown(STAFF))
    timeline: list[Event] = field(default_factory=list, metadata=shown(STAFF))
    # +1 on every change (0: stored before versions were kept)
    version: int = field(default=0, metadata=shown(STAFF))
    # the hashed Idempotency-Key and request: which retry is this one (never shown)
    idem: str = field(default="", metadata=shown())
    req: str = field(default="", metadata=shown())

    # --- derived ------------------------------------------------------------------------

    def overdue(self, now: float) -> bool:
        """Past the committed answer time without a reply the owner can see."""
        return self.first_reply_at is None and self.status != "closed" \
            and self.respond_by < iso(now)

    @property
    def can_rate(self) -> bool:
        return self.status in ("resolved", "closed") and self.feedback is None

    # --- the views ------------------------------------------------------------------------

    def owner_view(self) -> dict[str, Any]:
        """What anyone holding the code may see: never contact details, building, unit,
        who did what or an internal step."""
        out = _view(self, OWNER)
        out["timeline"] = [e.owner() for e in self.timeline if e.public]
        out["can_rate"] = self.can_rate
        out["rating"] = self.feedback.rating if self.feedback else None
        return out

    def staff_view(self, now: float, contact: dict[str, str] | None = None) -> dict[str, Any]:
        """What staff see: every STAFF field, whether it is overdue, and the contact
        details only when asked for (one case's page, never a list)."""
        out = _view(self, STAFF)
        out["overdue"] = self.overdue(now)
        if contact is not None:
            out["contact"] = contact
        return out

    def export_row(self) -> dict[str, Any]:
        """One row of `portal-cases export` (before spreadsheet escaping)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if EXPORT in f.metadata["views"]:
                name, value = f.metadata["column"] or (f.name, _same)
                out[name] = value(getattr(self, f.name))
        return out

    # --- the store's conversion --------------------------------------------------------------

    def to_plain(self) -> dict[str, Any]:
        """The case as plain data for the store (None left out: DynamoDB stores no nulls)."""
        return {k: v for k, v in plain(self).items() if v is not None}

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Case:
        """A case from stored data: numbers arrive as Decimal, other attributes (keys,
        indexes) are the store's and are left out."""
        return _build(cls, data)


def _same(value: Any) -> Any:
    return value


def export_columns(kind: type[Case] = Case) -> list[str]:
    """The CSV's columns, in declaration order."""
    return [(f.metadata["column"] or (f.name,))[0] for f in fields(kind)
            if EXPORT in f.metadata["views"]]


def _view(case: Case, view: str) -> dict[str, Any]:
    return {f.name: plain(getattr(case, f.name)) for f in fields(case)
            if view in f.metadata["views"]}


def plain(value: Any) -> Any:
    """A case, a record in it or a value of its fields as plain data (records as dicts)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


D = TypeVar("D")
_HINTS: dict[type, dict[str, Any]] = {}


def _build(cls: type[D], data: dict[str, Any]) -> D:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _convert(hints[k], v) for k, v in data.items() if k in known})


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_convert(item, v) for v in value or []]
    if is_dataclass(hint) and isinstance(value, dict):
        return _build(hint, value)  # type: ignore[arg-type]
    if hint is int and isinstance(value, Decimal | float | str):
        return int(value)
    return value
