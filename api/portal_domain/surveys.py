"""Survey answers: one per household code, anonymous, counted as they arrive.

An answer is one transaction in the store (store.record_survey_answer): the sender's rate
window, the one-time code for code surveys, the answer itself (once per Idempotency-Key)
and one of eight counter shards. Results read the eight shards: constant cost whatever
the number of responses. Codes are stored only as hashes; an answer holds no code and no
time of day.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal_contracts import messages
from portal_contracts import surveys as contract
from portal_contracts.clock import local_day

from .errors import ApiError, Conflict, Invalid, NotFound, RateLimited
from .receipts import ALPHABET, digest, normalise, receipt_for
from .settings import Settings
from .store import SURVEY_SHARDS, Refused, Store


def code_hash(code: str) -> str:
    return hashlib.sha256(f"survey-code:{code}".encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclass
class SurveyService:
    store: Store
    settings: Settings
    definitions: dict[str, contract.Survey]
    clock: Callable[[], float] = field(default=time.time)

    def survey(self, survey_id: str) -> contract.Survey:
        found = self.definitions.get(survey_id)
        if found is None:
            raise NotFound("No survey with this id.")
        return found

    def submit(self, survey_id: str, body: Any, key: str | None, client: str
               ) -> tuple[int, dict[str, Any]]:
        survey = self.survey(survey_id)
        now = self.clock()
        today = local_day(now)  # survey dates are Beijing calendar days
        if today < survey.opens:
            raise ApiError(403, "not_open", f"This survey opens on {survey.opens}.")
        if today > survey.closes:
            raise ApiError(410, "closed", f"This survey closed on {survey.closes}.")
        if not isinstance(body, dict):
            raise Invalid("(body)", "Expected a JSON object.")
        unknown = sorted(set(body) - {"answers", "code", "website"})
        if unknown:
            raise Invalid(unknown[0], f"Unknown field '{unknown[0]}'.", "unknown_field")
        messages.no_honeypot(body.get("website"))
        answers = contract.check_answers(survey, body.get("answers"))
        key = messages.idempotency_key(key, os.urandom(16).hex())
        # Every answer counts against the sender's rate window, code surveys too: that is
        # what makes guessing codes slow (SECURITY.md).
        window = self.settings.window("survey", client, now, self.settings.survey_rate_limit)
        code = None
        if survey.access == "codes":
            code = normalise(str(body.get("code") or ""))
            if code is None:
                raise Invalid("code", "The survey code has 8 letters and digits, e.g. K7M4-QX9P.")
        response_id = receipt_for(self.settings.secret, f"survey:{survey.id}:{key}")
        request_hash = digest(json.dumps(answers, sort_keys=True, ensure_ascii=False))
        try:
            self.store.record_survey_answer(
                survey.id, response_id,
                {"answers": answers, "day": today.isoformat(), "req": request_hash},
                code_hash(code) if code else None, contract.counted(survey, answers),
                secrets.randbelow(SURVEY_SHARDS), window)
        except Refused as refused:
            if "response" in refused.reasons:  # this key already stored a response
                stored = self.store.survey_answer(survey.id, response_id)
                if stored is not None and stored.get("req") != request_hash:
                    raise ApiError(422, "idempotency_key_reused",
                                   "This Idempotency-Key was used for different answers.",
                                   "Idempotency-Key") from None
                return 200, {"status": "recorded", "survey": survey.id}
            if "rate" in refused.reasons or code is None:  # never reveal a code's state then
                raise RateLimited(max(1, int(window.ends - now))) from None
            self.settings.count_miss(self.store, now, client)  # 429 once guessing shows
            if not self.store.survey_code_exists(survey.id, code_hash(code)):
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
        self.store.add_survey_codes(survey.id, [code_hash(c) for c in ordered])
        return ordered

    def counters(self, survey_id: str) -> dict[str, int]:
        """Sum of the counter shards: the results, at a cost independent of the responses."""
        survey = self.survey(survey_id)
        total: Counter[str] = Counter()
        for shard in self.store.survey_counter_shards(survey.id):
            total.update(shard)
        return dict(total)

    def responses(self, survey_id: str) -> list[dict[str, Any]]:
        return self.store.survey_answers(self.survey(survey_id).id)

    def recount(self, survey_id: str) -> dict[str, int]:
        """The same counters computed from every stored response (the slow, sure path)."""
        survey = self.survey(survey_id)
        total: Counter[str] = Counter()
        for r in self.responses(survey_id):
            total.update(contract.counted(survey, r["answers"]))
        return dict(total)
