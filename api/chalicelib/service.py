"""What happens to an owner's message: submit, follow, rate; and the staff's handling loop."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import schema
from .errors import ApiError, Conflict, Invalid, NotFound, RateLimited
from .receipts import digest, normalise, receipt_for
from .store import Refused, Store

CONTACT_RETENTION_DAYS = 365
TZ_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no daylight saving; shown to owners


def local_month(ts: float) -> str:
    """yyyy-mm of a moment in Asia/Shanghai."""
    return (datetime.fromtimestamp(ts, UTC) + TZ_OFFSET).strftime("%Y-%m")


def local_time(stamp: str) -> str:
    """'2026-11-23T14:00:00Z' → '2026-11-23 22:00' (Asia/Shanghai), for staff screens."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + TZ_OFFSET
    return moment.strftime("%Y-%m-%d %H:%M")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Settings:
    secret: bytes
    rate_limit: int = 10          # submissions per client per window
    rate_window: int = 600        # seconds
    rate_salt: str = "portal"
    miss_limit: int = 30          # unknown receipts or survey codes per client per window
    # Survey answers per address per window: one reception tablet or a carrier's shared
    # address serves many households; codes and the misses counter guard code surveys.
    survey_rate_limit: int = 60

    def window(self, scope: str, client: str, now: float) -> tuple[dict[str, str], int]:
        """The key of this client's counter in the current window, and when the window ends.

        The address is only stored as a salted hash; `scope` keeps separate counts
        ("" messages, "survey" answers, "miss" unknown codes)."""
        window = int(now // self.rate_window)
        key = {"PK": "RATE#" + digest(self.rate_salt + scope + client), "SK": f"W#{window}"}
        return key, (window + 1) * self.rate_window

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            secret=os.environ.get("RECEIPT_SECRET", "local-development-secret").encode(),
            rate_limit=int(os.environ.get("RATE_LIMIT", "10")),
            rate_window=int(os.environ.get("RATE_WINDOW", "600")),
            rate_salt=os.environ.get("RATE_SALT", "portal"),
            survey_rate_limit=int(os.environ.get("SURVEY_RATE_LIMIT", "60")),
        )


@dataclass
class Service:
    store: Store
    settings: Settings
    clock: Callable[[], float] = field(default=time.time)

    # --- owners ------------------------------------------------------------------------

    def submit(self, body: Any, idempotency_key: str | None, client: str) -> tuple[int, dict[str, Any]]:
        """Store a message once; a retry with the same key returns the same receipt (200)."""
        data = schema.suggestion(body)
        if data.pop("website"):
            raise Invalid("website", "This field must be left empty.", "honeypot")
        key = idempotency_key or os.urandom(16).hex()
        if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
            raise Invalid("Idempotency-Key", "The Idempotency-Key header must be 8 to 128 "
                          "printable ASCII characters.")
        request_hash = digest(json.dumps(data, sort_keys=True, ensure_ascii=False))
        now = self.clock()
        rate_key, window_end = self.settings.window("", client, now)
        for attempt in range(3):
            receipt = receipt_for(self.settings.secret, key, attempt)
            case, contact = self._items(receipt, data, key, request_hash, now)
            try:
                self.store.create_case(case, contact, rate_key, window_end + 60,
                                       self.settings.rate_limit)
                return 201, self._receipt(case)
            except Refused as refused:
                # A retry of a stored message is answered even past the rate limit.
                if "case" not in refused.reasons:
                    raise RateLimited(max(1, int(window_end - now))) from None
                existing = self.store.get(case["PK"], "CASE")
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

    def _items(self, receipt: str, data: dict[str, Any], key: str, request_hash: str,
               now: float) -> tuple[dict[str, Any], dict[str, Any] | None]:
        hours = schema.RESPONSE_HOURS[data["kind"]]
        created = iso(now)
        month = local_month(now)  # cases are counted in the month the owner lived it
        case = {
            "PK": f"CASE#{receipt}", "SK": "CASE", "receipt": receipt,
            "GSI1PK": f"MONTH#{month}", "GSI1SK": f"{created}#{receipt}",
            "kind": data["kind"], "category": data["category"], "subject": data["subject"],
            "body": data["body"], "building": data["building"], "anonymous": data["anonymous"],
            "status": "received", "created_at": created, "respond_by": iso(now + hours * 3600),
            "respond_within_hours": hours,
            "timeline": [{"at": created, "status": "received", "note": ""}],
            "idem": digest(key), "req": request_hash,
        }
        contact = dict(data["contact"])
        if data["unit"]:
            contact["unit"] = data["unit"]
        if not contact:
            return case, None
        contact.update({"PK": f"CASE#{receipt}", "SK": "PII",
                        "ttl": int(now + CONTACT_RETENTION_DAYS * 86400)})
        return case, contact

    @staticmethod
    def _receipt(case: dict[str, Any]) -> dict[str, Any]:
        return {"receipt": case["receipt"], "status": case["status"],
                "respond_within_hours": int(case["respond_within_hours"]),
                "respond_by": case["respond_by"], "created_at": case["created_at"]}

    def _case(self, receipt_text: str, client: str | None = None) -> dict[str, Any]:
        receipt = normalise(receipt_text)
        if receipt is None:
            raise Invalid("receipt", "A receipt code has 8 letters and digits, e.g. K7M4-QX9P.")
        case = self.store.get(f"CASE#{receipt}", "CASE")
        if case is None:
            if client is not None:
                self._count_miss(client)
            raise NotFound()
        return case

    def _count_miss(self, client: str) -> None:
        count_miss(self.store, self.settings, self.clock(), client)

    def public_view(self, receipt_text: str, client: str | None = None) -> dict[str, Any]:
        """What anyone holding the code may see: never contact details, building or unit."""
        return public(self._case(receipt_text, client))

    def feedback(self, receipt_text: str, body: Any, client: str | None = None) -> dict[str, Any]:
        data = schema.check(body, schema.FEEDBACK)
        case = self._case(receipt_text, client)
        now = iso(self.clock())
        try:
            updated = self.store.update(
                case["PK"], "CASE", "SET feedback = :f",
                {":f": {"rating": data["rating"], "comment": data["comment"] or "", "at": now},
                 ":resolved": "resolved", ":closed": "closed"},
                condition="attribute_not_exists(feedback) AND (#s = :resolved OR #s = :closed)",
                names={"#s": "status"})
        except Refused:
            current = self.store.get(case["PK"], "CASE") or case
            if current.get("feedback"):
                raise Conflict("already_rated", "This case has already been rated.") from None
            raise Conflict("not_resolved", "A case can be rated once it is resolved.") from None
        return public(updated)

    # --- staff (CLI only; there are no staff endpoints) -----------------------------------

    def staff_view(self, receipt_text: str) -> dict[str, Any]:
        case = self._case(receipt_text)
        contact = self.store.get(case["PK"], "PII") or {}
        return {**case, "contact": {k: v for k, v in contact.items()
                                    if k in ("name", "phone", "email", "unit")}}

    def assign(self, receipt_text: str, grade: int | None, department: str | None) -> dict[str, Any]:
        case = self._case(receipt_text)
        sets: list[str] = []
        values: dict[str, Any] = {}
        if grade is not None:
            if grade not in (1, 2, 3, 4):
                raise Invalid("grade", "Grade is 1 (general) to 4 (critical).")
            sets.append("grade = :g")
            values[":g"] = grade
        if department:
            sets.append("department = :d")
            values[":d"] = department
        if case["status"] == "received" and department:
            return self.set_status(receipt_text, "assigned", "", extra=(sets, values))
        if not sets:
            raise Invalid("grade", "Give a grade or a department.")
        return self.store.update(case["PK"], "CASE", "SET " + ", ".join(sets), values)

    def set_status(self, receipt_text: str, status: str, reply: str,
                   extra: tuple[list[str], dict[str, Any]] = ([], {})) -> dict[str, Any]:
        if status not in schema.STATUSES:
            raise Invalid("status", f"Status is one of {', '.join(schema.STATUSES)}.")
        case = self._case(receipt_text)
        now = iso(self.clock())
        sets = ["#s = :s", "timeline = list_append(timeline, :t)", *extra[0]]
        values = {":s": status, ":t": [{"at": now, "status": status, "note": reply}], **extra[1]}
        if reply:
            sets.append("reply = :r")
            values[":r"] = reply
        if "first_response_at" not in case and status != "received":
            sets.append("first_response_at = :now")
            values[":now"] = now
        if status in ("resolved", "closed") and "resolved_at" not in case:
            sets.append("resolved_at = :res")
            values[":res"] = now
        return self.store.update(case["PK"], "CASE", "SET " + ", ".join(sets), values,
                                 names={"#s": "status"})

    def follow_up(self, receipt_text: str, note: str) -> dict[str, Any]:
        """Record the follow-up call (回访) the company owes every resolved case."""
        case = self._case(receipt_text)
        try:
            return self.store.update(
                case["PK"], "CASE", "SET followed_up_at = :now, followup_note = :n",
                {":now": iso(self.clock()), ":n": note, ":resolved": "resolved",
                 ":closed": "closed"},
                condition="#s = :resolved OR #s = :closed", names={"#s": "status"})
        except Refused:
            raise Conflict("not_resolved", "Follow up once the case is resolved.") from None

    def month(self, month: str) -> list[dict[str, Any]]:
        return sorted(self.store.query_month(month), key=lambda c: c["created_at"])


def count_miss(store: Store, settings: Settings, now: float, client: str) -> None:
    """Count a wrong code from this client; past the limit, answer 429 instead.

    Owners mistype a receipt or survey code now and then; someone guessing codes misses
    nearly every time. A failed transaction rolls back its own rate counter, so misses
    are counted here, on their own item (SECURITY.md gives the arithmetic).
    """
    key, window_end = settings.window("miss", client, now)
    try:
        store.count(key, window_end + 60, settings.miss_limit)
    except Refused:
        raise RateLimited(max(1, int(window_end - now))) from None


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


_service: Service | None = None


def fixed_clock() -> Callable[[], float]:
    """The clock; PORTAL_NOW (local demos and browser tests only) stops it at one moment."""
    raw = os.environ.get("PORTAL_NOW")
    if not raw:
        return time.time
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC) - TZ_OFFSET  # a local Asia/Shanghai time
    start, real = moment.timestamp(), time.time()
    return lambda: start + (time.time() - real)  # runs on from there


def get_service() -> Service:
    """Built on first use, so importing the app costs no client and no network."""
    global _service
    if _service is None:
        from .store import client_from_env

        table = os.environ.get("TABLE_NAME", "portal-local")
        _service = Service(Store(table, client_from_env()), Settings.from_env(), fixed_clock())
    return _service


_survey_service: Any = None


def get_survey_service() -> Any:
    """The survey side, sharing the store; built on first use like get_service()."""
    global _survey_service
    if _survey_service is None:
        from .survey_service import SurveyService

        base = get_service()
        _survey_service = SurveyService(base.store, base.settings, base.clock)
    return _survey_service
