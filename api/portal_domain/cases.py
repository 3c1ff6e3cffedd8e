"""What happens to an owner's message: submit, follow, rate; and the staff's handling loop.

The record is portal_domain.model.Case: the services read and return it; the owner's and
the staff's views are derived from it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal_contracts import messages
from portal_contracts.clock import from_local, iso, local_month

from .errors import ApiError, Changed, Conflict, Invalid, NotFound, RateLimited
from .model import Case, Event, Feedback, FollowUp
from .receipts import digest, normalise, receipt_for
from .settings import Settings
from .store import Refused, Store, Window

CONTACT_RETENTION_DAYS = 365


@dataclass
class CaseService:
    store: Store
    settings: Settings
    clock: Callable[[], float] = field(default=time.time)

    # --- owners ------------------------------------------------------------------------

    def submit(self, body: Any, idempotency_key: str | None, client: str) -> tuple[int, dict[str, Any]]:
        """Store a message once; a retry with the same key returns the same receipt (200)."""
        window = self.settings.window("", client, self.clock(), self.settings.rate_limit)
        return self._create(body, idempotency_key, window)

    def _create(self, body: Any, idempotency_key: str | None, window: Window | None,
                channel: str = "web", by: str = "") -> tuple[int, dict[str, Any]]:
        """A new case from a request body, once per Idempotency-Key; `window` counts it
        against the sender's rate limit (None: entered by staff, who are not limited)."""
        data = messages.suggestion(body)
        messages.no_honeypot(data.pop("website"))
        key = messages.idempotency_key(idempotency_key, os.urandom(16).hex())
        request_hash = digest(json.dumps(data, sort_keys=True, ensure_ascii=False))
        now = self.clock()
        contact = dict(data["contact"])
        if data["unit"]:
            contact["unit"] = data["unit"]
        # staff keys name their own receipts: a desk's key never meets an owner's
        seed = key if channel == "web" else "staff:" + key
        for attempt in range(3):
            receipt = receipt_for(self.settings.secret, seed, attempt)
            case = self.new_case(receipt, data, key, request_hash, now, channel, by)
            try:
                # cases are counted in the (Beijing) month the owner lived it
                self.store.create_case(case, local_month(now), contact or None,
                                       int(now + CONTACT_RETENTION_DAYS * 86400), window)
                return 201, self._receipt(case)
            except Refused as refused:
                # A retry of a stored message is answered even past the rate limit.
                if "case" not in refused.reasons and window is not None:
                    raise RateLimited(max(1, int(window.ends - now))) from None
                existing = self.store.case(receipt)
                if existing is None:  # deleted between the two calls: try again
                    continue
                if existing.idem == digest(key):
                    if existing.req != request_hash:
                        raise ApiError(422, "idempotency_key_reused",
                                       "This Idempotency-Key was used for a different message.",
                                       "Idempotency-Key") from None
                    return 200, self._receipt(existing)
                # Another key produced this code (about 1 in 10^11): derive the next one.
        raise Conflict("receipt_collision", "Could not allocate a receipt code; please retry.")

    @staticmethod
    def new_case(receipt: str, data: dict[str, Any], key: str, request_hash: str, now: float,
                 channel: str = "web", by: str = "") -> Case:
        """The case a checked request body makes (messages.suggestion), received now."""
        hours = messages.RESPONSE_HOURS[data["kind"]]
        created = iso(now)
        return Case(
            receipt=receipt, kind=data["kind"], category=data["category"],
            subject=data["subject"], body=data["body"], building=data["building"],
            anonymous=data["anonymous"], status="received", created_at=created,
            respond_by=iso(now + hours * 3600), respond_within_hours=hours,
            timeline=[Event(created, "received", by=by)], channel=channel,
            entered_by=by if channel != "web" else "", idem=digest(key), req=request_hash)

    @staticmethod
    def _receipt(case: Case) -> dict[str, Any]:
        return {"receipt": case.receipt, "status": case.status,
                "respond_within_hours": case.respond_within_hours,
                "respond_by": case.respond_by, "created_at": case.created_at}

    def _case(self, receipt_text: str, client: str | None = None, version: int | None = None
              ) -> Case:
        """The stored case; with `version`, only if it is still the one the caller read."""
        receipt = normalise(receipt_text)
        if receipt is None:
            raise Invalid("receipt", "A receipt code has 8 letters and digits, e.g. K7M4-QX9P.")
        case = self.store.case(receipt)
        if case is None:
            if client is not None:
                self.settings.count_miss(self.store, self.clock(), client)
            raise NotFound()
        if version is not None and version != case.version:
            raise Changed()
        return case

    def public_view(self, receipt_text: str, client: str | None = None) -> dict[str, Any]:
        """What anyone holding the code may see: never contact details, building or unit."""
        return self._case(receipt_text, client).owner_view()

    def feedback(self, receipt_text: str, body: Any, client: str | None = None) -> dict[str, Any]:
        data = messages.check(body, messages.FEEDBACK)
        case = self._case(receipt_text, client)
        try:
            updated = self.store.rate_case(case.receipt, Feedback(
                data["rating"], data["comment"] or "", iso(self.clock())))
        except Refused:
            current = self.store.case(case.receipt) or case
            if current.feedback:
                raise Conflict("already_rated", "This case has already been rated.") from None
            raise Conflict("not_resolved", "A case can be rated once it is resolved.") from None
        return updated.owner_view()

    # --- staff: the desk (staff API) and portal-cases share these ---------------------------
    #
    # Every change names who made it (`by`, kept in the timeline the owner never sees in
    # full) and the version of the case it was made on: when someone changed the case in
    # between, the change is refused with Changed (409) and nothing is written. That is
    # checked when the case is read (_case) and again, atomically, by the store's write.
    # `version=None` takes the version just read (the command line's "last read wins").

    def enter_for_owner(self, body: Any, channel: str, idempotency_key: str | None, by: str
                        ) -> tuple[int, dict[str, Any]]:
        """A case taken by phone or at the counter: the same record and receipt code as
        one sent on the portal, so the owner can follow it; no rate limit."""
        if channel not in messages.CHANNELS or channel == "web":
            raise Invalid("channel", "Channel is 'phone' or 'counter'.")
        return self._create(body, idempotency_key, None, channel, by)

    def get(self, receipt_text: str, version: int | None = None) -> Case:
        """A case as stored (without its contact details); with `version`, Changed unless
        it is still at that version."""
        return self._case(receipt_text, version=version)

    def contact(self, case: Case) -> dict[str, Any]:
        """The owner's private contact details ({} when none were given or they expired)."""
        return self.store.contact(case.receipt)

    def queue(self) -> list[Case]:
        """Open cases, overdue first, then by their answer deadline (computed here)."""
        now = self.clock()
        return sorted(self.store.open_cases(),
                      key=lambda c: (not c.overdue(now), c.respond_by, c.receipt))

    def _change(self, case: Case, fields: dict[str, Any], event: Event | None,
                add: dict[str, int] | None = None, close: bool = False) -> Case:
        """Write a change to the case as read (_case checked its version)."""
        try:
            return self.store.update_case(case.receipt, case.version, fields, event, add, close)
        except Refused:
            raise Changed() from None

    def _event(self, status: str, by: str, note: str = "", internal: str = "",
               public: bool = True) -> Event:
        return Event(iso(self.clock()), status, note, by, public, internal)

    def grade(self, receipt_text: str, grade: int, by: str, version: int | None = None
              ) -> Case:
        _check_grade(grade)
        case = self._case(receipt_text, version=version)
        return self._change(case, {"grade": grade}, self._event(
            case.status, by, internal=f"grade {grade}", public=False))

    def assign(self, receipt_text: str, grade: int | None, department: str | None,
               by: str = "", version: int | None = None, assignee: str | None = None
               ) -> Case:
        """Grade (1-4) and give the case to a department and one accountable person (派单)."""
        case = self._case(receipt_text, version=version)
        fields: dict[str, Any] = {}
        if grade is not None:
            fields["grade"] = _check_grade(grade)
        if department:
            if department not in messages.DEPARTMENTS.values():
                raise Invalid("department", "One of " + ", ".join(messages.DEPARTMENTS.values())
                              + ".")
            fields["department"] = department
        if assignee:
            fields["assignee"] = messages.Text(1, 60).check("assignee", assignee)
        if not fields:
            raise Invalid("grade", "Give a grade, a department or a person.")
        status = case.status
        if status == "received" and department:
            status = fields["status"] = "assigned"
        return self._change(case, fields, self._event(
            status, by, internal=", ".join(f"{k} {v}" for k, v in fields.items()),
            public=status != case.status))

    def reply(self, receipt_text: str, text: str, by: str, version: int | None = None,
              status: str | None = None) -> Case:
        """A reply the owner reads on the status page (答复); the first one is what the
        committed answer time is measured by."""
        text = _allowed(messages.Text(2, 2000).check("reply", text) or "", "reply")
        case = _open(self._case(receipt_text, version=version))
        status = status or ("in_progress" if case.status in ("received", "assigned")
                            else case.status)
        if status not in ("in_progress", "resolved"):
            raise Invalid("status", "A reply leaves the case in progress or resolved.")
        now = iso(self.clock())
        fields: dict[str, Any] = {"reply": text, "status": status, **_leaving(case, status)}
        if case.first_reply_at is None:
            fields["first_reply_at"] = now
        if status == "resolved":
            fields["resolved_at"] = now
        return self._change(case, fields, self._event(status, by, note=text))

    def note(self, receipt_text: str, text: str, by: str, version: int | None = None) -> Case:
        """An internal note: staff see it, the owner never does."""
        text = messages.Text(1, 2000).check("note", text) or ""
        case = self._case(receipt_text, version=version)
        return self._change(case, {}, self._event(case.status, by, internal=text, public=False))

    def set_status(self, receipt_text: str, status: str, reply: str, by: str = "",
                   version: int | None = None) -> Case:
        """Move a case on (with an optional reply); closing goes through close()."""
        if status not in messages.STATUSES:
            raise Invalid("status", f"Status is one of {', '.join(messages.STATUSES)}.")
        if reply:
            _allowed(reply, "reply")
        if status == "closed":
            return self.close(receipt_text, by, version)
        if reply:
            return self.reply(receipt_text, reply, by, version,
                              status if status in ("in_progress", "resolved") else None)
        case = _open(self._case(receipt_text, version=version))
        fields: dict[str, Any] = {"status": status, **_leaving(case, status)}
        if status == "resolved" and case.resolved_at is None:
            fields["resolved_at"] = iso(self.clock())
        return self._change(case, fields, self._event(status, by))

    def follow_up(self, receipt_text: str, note: str, result: str = "satisfied", by: str = "",
                  version: int | None = None, retry_at: str | None = None) -> Case:
        """The follow-up call (回访) every resolved case gets. Dissatisfied: the case goes
        back to in progress (reopened); unreachable: the call is due again at `retry_at`."""
        if result not in messages.FOLLOWUP_RESULTS:
            raise Invalid("result", "Result is satisfied, dissatisfied or unreachable.")
        note = messages.Text(0, 500, required=False).check("note", note) or ""
        case = self._case(receipt_text, version=version)
        if case.status != "resolved":
            raise Conflict("not_resolved", "Follow up once the case is resolved (and before "
                           "it is closed).")
        now = iso(self.clock())
        fields: dict[str, Any] = {"followups": [*case.followups, FollowUp(now, result, note, by)],
                                  "followup_result": result, "followup_note": note}
        add: dict[str, int] = {}
        status = case.status
        if result == "unreachable":
            if not retry_at:
                raise Invalid("retry_at", "Say when to call again.")
            fields["next_followup_at"] = _when(retry_at)
        else:
            fields["followed_up_at"] = now
            fields["next_followup_at"] = ""
            if result == "dissatisfied":
                status = fields["status"] = "in_progress"
                add["reopened"] = 1
        return self._change(case, fields, self._event(
            status, by, internal=f"follow-up: {result} {note}".strip(),
            public=status != case.status), add)

    def close(self, receipt_text: str, by: str, version: int | None = None) -> Case:
        """归档: only a resolved case whose owner said, on the follow-up call, they are satisfied."""
        case = self._case(receipt_text, version=version)
        if case.status != "resolved" or case.followup_result != "satisfied":
            raise Conflict("no_follow_up", "A case closes only after a follow-up call in "
                           "which the owner is satisfied.")
        return self._change(case, {"status": "closed", "closed_at": iso(self.clock())},
                            self._event("closed", by), close=True)

    def month(self, month: str) -> list[Case]:
        return sorted(self.store.cases_in_month(month), key=lambda c: c.created_at)

    # --- canned replies: staff-editable answer templates ---------------------------------

    def canned_replies(self) -> list[dict[str, Any]]:
        return sorted(self.store.canned_replies(), key=lambda r: (r["title"], r["id"]))

    def save_canned_reply(self, reply_id: str, title: str, text: str, by: str
                          ) -> dict[str, Any]:
        """Create or change a template; it is held to the same rule as every reply."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", reply_id):
            raise Invalid("id", "Lower-case letters, digits and '-' (at most 40).")
        title = messages.Text(1, 40).check("title", title) or ""
        text = _allowed(messages.Text(2, 2000).check("text", text) or "", "text")
        reply = {"id": reply_id, "title": title, "text": text, "updated_by": by,
                 "updated_at": iso(self.clock())}
        self.store.put_canned_reply(reply)
        return reply

    def delete_canned_reply(self, reply_id: str) -> None:
        self.store.delete_canned_reply(reply_id)


def _check_grade(grade: Any) -> int:
    if type(grade) is not int or grade not in messages.GRADES:
        raise Invalid("grade", "Grade is 1 (general) to 4 (critical).")
    return grade


def _allowed(text: str, field: str) -> str:
    """A text the owner will read, held to the phrases staff must never use."""
    bad = messages.forbidden_phrases(text)
    if bad:
        raise Invalid(field, f"The reply says '{bad[0]}' ({messages.FORBIDDEN[bad[0]]}), "
                      "which staff must never answer; rephrase it.", "forbidden_phrase")
    return text


def _open(case: Case) -> Case:
    """A closed case (归档) is final: it takes notes, nothing else."""
    if case.status == "closed":
        raise Conflict("closed", "This case is closed.")
    return case


def _leaving(case: Case, status: str) -> dict[str, Any]:
    """A case that moves on needs a new follow-up before it can close."""
    return {"followup_result": ""} if status != case.status else {}


def _when(text: str) -> str:
    """A local date-time the desk sends ('2026-11-24T09:30') as the API stores it."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise Invalid("retry_at", "A date and time such as 2026-11-24T09:30.") from None
    return iso(from_local(moment))
