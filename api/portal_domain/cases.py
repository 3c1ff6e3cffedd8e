"""What happens to an owner's message: submit, follow, rate; and the staff's handling loop."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal_contracts import messages
from portal_contracts.clock import iso, local_month

from .errors import ApiError, Conflict, Invalid, NotFound, RateLimited
from .receipts import digest, normalise, receipt_for
from .settings import Settings
from .store import Refused, Store

CONTACT_RETENTION_DAYS = 365


@dataclass
class CaseService:
    store: Store
    settings: Settings
    clock: Callable[[], float] = field(default=time.time)

    # --- owners ------------------------------------------------------------------------

    def submit(self, body: Any, idempotency_key: str | None, client: str) -> tuple[int, dict[str, Any]]:
        """Store a message once; a retry with the same key returns the same receipt (200)."""
        data = messages.suggestion(body)
        messages.no_honeypot(data.pop("website"))
        key = messages.idempotency_key(idempotency_key, os.urandom(16).hex())
        request_hash = digest(json.dumps(data, sort_keys=True, ensure_ascii=False))
        now = self.clock()
        window = self.settings.window("", client, now, self.settings.rate_limit)
        contact = dict(data["contact"])
        if data["unit"]:
            contact["unit"] = data["unit"]
        for attempt in range(3):
            receipt = receipt_for(self.settings.secret, key, attempt)
            case = self._case_fields(receipt, data, key, request_hash, now)
            try:
                # cases are counted in the (Beijing) month the owner lived it
                self.store.create_case(case, local_month(now), contact or None,
                                       int(now + CONTACT_RETENTION_DAYS * 86400), window)
                return 201, self._receipt(case)
            except Refused as refused:
                # A retry of a stored message is answered even past the rate limit.
                if "case" not in refused.reasons:
                    raise RateLimited(max(1, int(window.ends - now))) from None
                existing = self.store.case(receipt)
                if existing is None:  # deleted between the two calls: try again
                    continue
                if existing.get("idem") == digest(key):
                    if existing.get("req") != request_hash:
                        raise ApiError(422, "idempotency_key_reused",
                                       "This Idempotency-Key was used for a different message.",
                                       "Idempotency-Key") from None
                    return 200, self._receipt(existing)
                # Another key produced this code (about 1 in 10^11): derive the next one.
        raise Conflict("receipt_collision", "Could not allocate a receipt code; please retry.")

    @staticmethod
    def _case_fields(receipt: str, data: dict[str, Any], key: str, request_hash: str,
                     now: float) -> dict[str, Any]:
        hours = messages.RESPONSE_HOURS[data["kind"]]
        created = iso(now)
        return {
            "receipt": receipt,
            "kind": data["kind"], "category": data["category"], "subject": data["subject"],
            "body": data["body"], "building": data["building"], "anonymous": data["anonymous"],
            "status": "received", "created_at": created, "respond_by": iso(now + hours * 3600),
            "respond_within_hours": hours,
            "timeline": [{"at": created, "status": "received", "note": ""}],
            "idem": digest(key), "req": request_hash,
        }

    @staticmethod
    def _receipt(case: dict[str, Any]) -> dict[str, Any]:
        return {"receipt": case["receipt"], "status": case["status"],
                "respond_within_hours": int(case["respond_within_hours"]),
                "respond_by": case["respond_by"], "created_at": case["created_at"]}

    def _case(self, receipt_text: str, client: str | None = None) -> dict[str, Any]:
        receipt = normalise(receipt_text)
        if receipt is None:
            raise Invalid("receipt", "A receipt code has 8 letters and digits, e.g. K7M4-QX9P.")
        case = self.store.case(receipt)
        if case is None:
            if client is not None:
                self.settings.count_miss(self.store, self.clock(), client)
            raise NotFound()
        return case

    def public_view(self, receipt_text: str, client: str | None = None) -> dict[str, Any]:
        """What anyone holding the code may see: never contact details, building or unit."""
        return public(self._case(receipt_text, client))

    def feedback(self, receipt_text: str, body: Any, client: str | None = None) -> dict[str, Any]:
        data = messages.check(body, messages.FEEDBACK)
        case = self._case(receipt_text, client)
        try:
            updated = self.store.rate_case(case["receipt"], {
                "rating": data["rating"], "comment": data["comment"] or "",
                "at": iso(self.clock())})
        except Refused:
            current = self.store.case(case["receipt"]) or case
            if current.get("feedback"):
                raise Conflict("already_rated", "This case has already been rated.") from None
            raise Conflict("not_resolved", "A case can be rated once it is resolved.") from None
        return public(updated)

    # --- staff (the staff tools; the public API has no staff routes) ----------------------

    def staff_view(self, receipt_text: str) -> dict[str, Any]:
        case = self._case(receipt_text)
        return {**case, "contact": self.store.contact(case["receipt"])}

    def assign(self, receipt_text: str, grade: int | None, department: str | None) -> dict[str, Any]:
        case = self._case(receipt_text)
        fields: dict[str, Any] = {}
        if grade is not None:
            if grade not in messages.GRADES:
                raise Invalid("grade", "Grade is 1 (general) to 4 (critical).")
            fields["grade"] = grade
        if department:
            fields["department"] = department
        if case["status"] == "received" and department:
            return self.set_status(receipt_text, "assigned", "", fields)
        if not fields:
            raise Invalid("grade", "Give a grade or a department.")
        return self.store.set_case(case["receipt"], fields)

    def set_status(self, receipt_text: str, status: str, reply: str,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
        if status not in messages.STATUSES:
            raise Invalid("status", f"Status is one of {', '.join(messages.STATUSES)}.")
        case = self._case(receipt_text)
        now = iso(self.clock())
        fields: dict[str, Any] = {"status": status, **(extra or {})}
        if reply:
            fields["reply"] = reply
        if "first_response_at" not in case and status != "received":
            fields["first_response_at"] = now
        if status in ("resolved", "closed") and "resolved_at" not in case:
            fields["resolved_at"] = now
        return self.store.set_case(case["receipt"], fields,
                                   {"at": now, "status": status, "note": reply})

    def follow_up(self, receipt_text: str, note: str) -> dict[str, Any]:
        """Record the follow-up call (回访) the company owes every resolved case."""
        case = self._case(receipt_text)
        try:
            return self.store.record_follow_up(case["receipt"], iso(self.clock()), note)
        except Refused:
            raise Conflict("not_resolved", "Follow up once the case is resolved.") from None

    def month(self, month: str) -> list[dict[str, Any]]:
        return sorted(self.store.cases_in_month(month), key=lambda c: c["created_at"])


def public(case: dict[str, Any]) -> dict[str, Any]:
    feedback = case.get("feedback")
    return {
        "receipt": case["receipt"],
        "kind": case["kind"],
        "category": case["category"],
        "created_at": case["created_at"],
        "respond_by": case["respond_by"],
        "status": case["status"],
        "reply": case.get("reply", ""),
        "timeline": [{"at": t["at"], "status": t["status"], "note": t.get("note", "")}
                     for t in case.get("timeline", [])],
        "can_rate": case["status"] in ("resolved", "closed") and not feedback,
        "rating": int(feedback["rating"]) if feedback else None,
    }
