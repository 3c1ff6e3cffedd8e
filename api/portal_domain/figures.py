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
from typing import Any

from portal_contracts import messages
from portal_contracts.clock import hours_between, iso


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 1) if xs else None


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def summarise(month: str, cases: list[dict[str, Any]], published: str, now: float
              ) -> dict[str, Any]:
    """The figures of one month's cases (the format of portal_contracts.files.MonthSummary)."""
    replied = [c for c in cases if c.get("first_reply_at")]
    first = [hours_between(c["created_at"], c["first_reply_at"]) for c in replied]
    on_time = [c for c in replied if c["first_reply_at"] <= c["respond_by"]]
    due = [c for c in cases if c.get("first_reply_at") or c["respond_by"] < iso(now)]
    resolved = [c for c in cases if c.get("resolved_at")]
    to_resolve = [hours_between(c["created_at"], c["resolved_at"]) for c in resolved]
    followed = [c for c in cases if c.get("followed_up_at")]
    calls = [f for c in cases for f in c.get("followups", []) if f["result"] != "unreachable"]
    ratings = [int(c["feedback"]["rating"]) for c in cases if c.get("feedback")]
    return {
        "month": month,
        "published": published,
        "received": len(cases),
        "by_kind": {k: n for k in messages.KINDS if (n := sum(c["kind"] == k for c in cases))},
        "by_category": dict(sorted(Counter(c["category"] for c in cases).items())),
        "by_grade": {int(g): n for g, n in sorted(Counter(
            int(c["grade"]) for c in cases if c.get("grade")).items())},
        "resolved": len(resolved),
        "responded_on_time_pct": _share(len(on_time), len(due)),
        "median_hours_to_first_response": _median(first),
        "median_hours_to_resolution": _median(to_resolve),
        "followup_rate_pct": _share(sum(1 for c in resolved if c.get("followed_up_at")),
                                    len(resolved)),
        "ratings": len(ratings),
        "satisfied_pct": _share(sum(r >= 4 for r in ratings), len(ratings)),
        "mean_rating": round(statistics.mean(ratings), 2) if ratings else None,
        "followups": len(calls),
        "followup_satisfied_pct": _share(sum(f["result"] == "satisfied" for f in calls),
                                         len(calls)),
        "reopened_pct": _share(sum(1 for c in followed if int(c.get("reopened", 0))),
                               len(followed)),
    }


def by_person(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per accountable person (for the manager's desk, never published): cases, replied,
    replied on time, followed up, reopened."""
    people: dict[str, Counter[str]] = {}
    for c in cases:
        who = str(c.get("assignee") or "—")
        n = people.setdefault(who, Counter())
        n["cases"] += 1
        if c.get("first_reply_at"):
            n["replied"] += 1
            n["on_time"] += c["first_reply_at"] <= c["respond_by"]
        n["followed_up"] += bool(c.get("followed_up_at"))
        n["reopened"] += bool(int(c.get("reopened", 0)))
    return [{"person": who, **dict(n)} for who, n in sorted(people.items())]
