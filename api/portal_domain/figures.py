"""A month's service figures, from the cases themselves: what the desk shows for the month
so far and what `portal-cases summary` writes for the portal to publish.

Honest by construction: "answered on time" counts the first reply the owner could read
(`first_reply_at`), not an internal step such as an assignment; a case past its committed
time with no reply counts as late. The follow-up rate is over resolved cases; the reopen
rate is over followed-up cases; satisfaction comes from follow-up calls and from owners'
ratings. The published part holds counts and shares only, never a person.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date
from typing import Any

from portal_contracts import messages
from portal_contracts.clock import hours_between, iso, local_day
from portal_contracts.files import MonthSummary

from .model import Case


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 1) if xs else None


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def summarise(month: str, cases: list[Case], now: float, published: date | None = None
              ) -> MonthSummary:
    """The figures of one month's cases as of `now`; `published` (default: the day of
    `now`) is when the portal shows them."""
    replied = [c for c in cases if c.first_reply_at]
    first = [hours_between(c.created_at, c.first_reply_at) for c in replied
             if c.first_reply_at]
    on_time = [c for c in replied if c.first_reply_at and c.first_reply_at <= c.respond_by]
    due = [c for c in cases if c.first_reply_at or c.respond_by < iso(now)]
    resolved = [c for c in cases if c.resolved_at]
    to_resolve = [hours_between(c.created_at, c.resolved_at) for c in resolved if c.resolved_at]
    followed = [c for c in cases if c.followed_up_at]
    calls = [f for c in cases for f in c.followups if f.result != "unreachable"]
    ratings = [c.feedback.rating for c in cases if c.feedback]
    return MonthSummary(
        month=month,
        published=published or local_day(now),
        received=len(cases),
        by_kind={k: n for k in messages.KINDS if (n := sum(c.kind == k for c in cases))},
        by_category=dict(sorted(Counter(c.category for c in cases).items())),
        by_grade=dict(sorted(Counter(c.grade for c in cases if c.grade).items())),
        resolved=len(resolved),
        responded_on_time_pct=_share(len(on_time), len(due)),
        median_hours_to_first_response=_median(first),
        median_hours_to_resolution=_median(to_resolve),
        followup_rate_pct=_share(sum(1 for c in resolved if c.followed_up_at), len(resolved)),
        ratings=len(ratings),
        satisfied_pct=_share(sum(r >= 4 for r in ratings), len(ratings)),
        mean_rating=round(statistics.mean(ratings), 2) if ratings else None,
        followups=len(calls),
        followup_satisfied_pct=_share(sum(f.result == "satisfied" for f in calls), len(calls)),
        reopened_pct=_share(sum(1 for c in followed if c.reopened), len(followed)),
    )


def by_person(cases: list[Case]) -> list[dict[str, Any]]:
    """Per accountable person (for the manager's desk, never published): cases, replied,
    replied on time, followed up, reopened."""
    people: dict[str, Counter[str]] = {}
    for c in cases:
        n = people.setdefault(c.assignee or "—", Counter())
        n["cases"] += 1
        if c.first_reply_at:
            n["replied"] += 1
            n["on_time"] += c.first_reply_at <= c.respond_by
        n["followed_up"] += bool(c.followed_up_at)
        n["reopened"] += bool(c.reopened)
    return [{"person": who, **dict(n)} for who, n in sorted(people.items())]
