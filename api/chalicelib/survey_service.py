"""Survey responses: one per household code, anonymous, counted as they arrive.

Items (same table as the cases):

    code       SURVEY#<id>  CODE#<sha256(code)>   used (the code itself is never stored)
    response   SURVEY#<id>  RESP#<hmac(key)>      answers, day; no code, no time of day
    counters   SURVEY#<id>  COUNT#<0..7>          n, a:<question>, q:<question>:<answer>

A response is one TransactWriteItems: mark the code used (only if it exists and is
unused) or, for open surveys, count the client's submission in its rate window; put
the response (only if this Idempotency-Key has not stored one); add 1 to every counter
it moves, on one of eight counter shards so concurrent answers rarely collide. Results
read the eight shards: constant cost whatever the number of responses.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import surveys
from .errors import ApiError, Conflict, Invalid, NotFound, RateLimited
from .receipts import ALPHABET, digest, normalise, receipt_for
from .service import Settings, count_miss
from .store import Refused, Store, to_item

SHARDS = 8
LOCAL = timedelta(hours=8)  # survey dates are Asia/Shanghai calendar days


def code_hash(code: str) -> str:
    return hashlib.sha256(f"survey-code:{code}".encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclass
class SurveyService:
    store: Store
    settings: Settings
    clock: Callable[[], float] = field(default=lambda: datetime.now(UTC).timestamp())
    definitions: dict[str, surveys.Survey] | None = None

    def survey(self, survey_id: str) -> surveys.Survey:
        found = (self.definitions if self.definitions is not None else surveys.bundled()).get(
            survey_id)
        if found is None:
            raise NotFound("No survey with this id.")
        return found

    def submit(self, survey_id: str, body: Any, key: str | None, client: str
               ) -> tuple[int, dict[str, Any]]:
        survey = self.survey(survey_id)
        now = self.clock()
        today = (datetime.fromtimestamp(now, UTC) + LOCAL).date()
        if today < survey.opens:
            raise ApiError(403, "not_open", f"This survey opens on {survey.opens}.")
        if today > survey.closes:
            raise ApiError(410, "closed", f"This survey closed on {survey.closes}.")
        if not isinstance(body, dict):
            raise Invalid("(body)", "Expected a JSON object.")
        unknown = sorted(set(body) - {"answers", "code", "website"})
        if unknown:
            raise Invalid(unknown[0], f"Unknown field '{unknown[0]}'.", "unknown_field")
        if body.get("website"):
            raise Invalid("website", "This field must be left empty.", "honeypot")
        answers = surveys.check_answers(survey, body.get("answers"))
        key = key or os.urandom(16).hex()
        if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
            raise Invalid("Idempotency-Key", "The Idempotency-Key header must be 8 to 128 "
                          "printable ASCII characters.")
        pk = f"SURVEY#{survey.id}"
        # Every answer counts against the sender's rate window, code surveys too: that is
        # what makes guessing codes slow (SECURITY.md).
        rate_key, window_end = self.settings.window("survey", client, now)
        items: list[dict[str, Any]] = [self.store.counter_update(
            rate_key, window_end + 60, self.settings.survey_rate_limit)]
        names: tuple[str, ...] = ("rate", "response", "counters")
        code = None
        if survey.access == "codes":
            code = normalise(str(body.get("code") or ""))
            if code is None:
                raise Invalid("code", "The survey code has 8 letters and digits, e.g. K7M4-QX9P.")
            items.append({"Update": {
                "TableName": self.store.table,
                "Key": to_item({"PK": pk, "SK": f"CODE#{code_hash(code)}"}),
                "UpdateExpression": "SET used = :yes",
                "ConditionExpression": "attribute_exists(PK) AND used = :no",
                "ExpressionAttributeValues": to_item({":yes": True, ":no": False})}})
            names = ("rate", "code", "response", "counters")
        response_id = receipt_for(self.settings.secret, f"survey:{survey.id}:{key}")
        request_hash = digest(json.dumps(answers, sort_keys=True, ensure_ascii=False))
        items.append({"Put": {
            "TableName": self.store.table,
            "Item": to_item({"PK": pk, "SK": f"RESP#{response_id}", "answers": answers,
                             "day": today.isoformat(), "req": request_hash}),
            "ConditionExpression": "attribute_not_exists(PK)"}})
        counters = surveys.counted(survey, answers)
        alias = {f"#c{i}": n for i, n in enumerate(counters)}
        items.append({"Update": {
            "TableName": self.store.table,
            "Key": to_item({"PK": pk, "SK": f"COUNT#{secrets.randbelow(SHARDS)}"}),
            "UpdateExpression": "ADD " + ", ".join(f"{a} :one" for a in alias),
            "ExpressionAttributeNames": alias,
            "ExpressionAttributeValues": to_item({":one": 1})}})
        try:
            self.store.transact(items, names)
        except Refused as refused:
            if "response" in refused.reasons:  # this key already stored a response
                stored = self.store.get(pk, f"RESP#{response_id}")
                if stored is not None and stored.get("req") != request_hash:
                    raise ApiError(422, "idempotency_key_reused",
                                   "This Idempotency-Key was used for different answers.",
                                   "Idempotency-Key") from None
                return 200, {"status": "recorded", "survey": survey.id}
            if "rate" in refused.reasons or code is None:  # never reveal a code's state then
                raise RateLimited(max(1, int(window_end - now))) from None
            count_miss(self.store, self.settings, now, client)  # 429 once guessing shows
            if self.store.get(pk, f"CODE#{code_hash(code)}") is None:
                raise Invalid("code", "This survey code is not valid for this survey.",
                              "unknown_code") from None
            raise Conflict("code_used", "This survey code has already been used.") from None
        return 201, {"status": "recorded", "survey": survey.id}

    # --- staff ----------------------------------------------------------------------------

    def issue_codes(self, survey_id: str, n: int) -> list[str]:
        """New one-time codes; only their hashes are stored."""
        survey = self.survey(survey_id)
        codes: set[str] = set()
        while len(codes) < n:
            codes.add(new_code())
        ordered = sorted(codes)
        for i in range(0, len(ordered), 25):
            self.store.batch_put([{"PK": f"SURVEY#{survey.id}", "SK": f"CODE#{code_hash(c)}",
                                   "used": False} for c in ordered[i:i + 25]])
        return ordered

    def counters(self, survey_id: str) -> dict[str, int]:
        """Sum of the counter shards: the results, at a cost independent of the responses."""
        survey = self.survey(survey_id)
        total: Counter[str] = Counter()
        for item in self.store.query_prefix(f"SURVEY#{survey.id}", "COUNT#"):
            for k, v in item.items():
                if k not in ("PK", "SK"):
                    total[k] += int(v)
        return dict(total)

    def responses(self, survey_id: str) -> list[dict[str, Any]]:
        survey = self.survey(survey_id)
        return self.store.query_prefix(f"SURVEY#{survey.id}", "RESP#")

    def recount(self, survey_id: str) -> dict[str, int]:
        """The same counters computed from every stored response (the slow, sure path)."""
        survey = self.survey(survey_id)
        total: Counter[str] = Counter()
        for r in self.responses(survey_id):
            total.update(surveys.counted(survey, r["answers"]))
        return dict(total)
