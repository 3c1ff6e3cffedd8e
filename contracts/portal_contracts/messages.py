"""Owners' messages: what they may send, what the company commits to, what staff may say.

The request bodies are declared once here with a small validator: the API checks them,
the site builds its form from them (kinds, categories, hours, length limits), the staff
tools use the same statuses, grades and phrases. Hand-written rather than pydantic:
importing pydantic would double the Lambda cold start (measured in scripts/bench_api.py),
and these few flat fields do not need it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .errors import Invalid

KINDS = {"complaint": "投诉", "suggestion": "建议", "praise": "表扬", "service_request": "服务/报修"}
CATEGORIES = {
    "repairs": "维修", "security": "安全秩序", "cleaning": "清洁卫生", "greening": "绿化",
    "parking": "停车", "fees": "收费", "noise": "噪音", "facilities": "公共设施",
    "neighbours": "邻里", "other": "其他",
}
# Hours within which the company commits to a first response (handbook: 时效承诺).
RESPONSE_HOURS = {"service_request": 2, "complaint": 24, "suggestion": 72, "praise": 72}
STATUSES = ("received", "assigned", "in_progress", "resolved", "closed")
# 定级: how serious a case is (DOMAIN.md).
GRADES = {1: "一般", 2: "重要", 3: "严重", 4: "重大"}
# 回访: the follow-up call every case gets; a dissatisfied owner reopens the case.
FOLLOWUP_RESULTS = {"satisfied": "满意", "dissatisfied": "不满意（重新派单）",
                    "unreachable": "未接通（约定再打）"}
# 派单: the departments a case goes to (DOMAIN.md), slug → name. A staff member in the
# sign-in group "department-<slug>" sees that department's cases.
DEPARTMENTS = {"engineering": "工程部", "security": "秩序维护部", "cleaning": "环境部",
               "customer": "客服中心"}
# How a case reached the company: the portal, or staff entering it for the owner.
CHANNELS = {"web": "网上", "phone": "电话", "counter": "前台"}

# DOMAIN.md: answers staff must never give. A reply containing one is refused.
FORBIDDEN = {
    "不归我们管": "that is not our business", "不关我们的事": "that is not our business",
    "不是我们的事": "that is not our business", "公司规定就是这样": "company rules are like that",
    "这是公司规定": "company rules are like that", "我不知道": "I don't know",
    "不清楚": "I don't know", "改天再联系": "we will contact you another day",
    "改天联系": "we will contact you another day", "以后再说": "we will contact you another day",
}


def forbidden_phrases(reply: str) -> list[str]:
    return [p for p in FORBIDDEN if p in reply]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Text:
    min: int
    max: int
    required: bool = True
    pattern: str | None = None
    hint: str = ""

    def check(self, field: str, value: Any) -> str | None:
        if value is None or value == "":
            if self.required:
                raise Invalid(field, f"'{field}' is required.", "required")
            return None
        if not isinstance(value, str):
            raise Invalid(field, f"'{field}' must be text.")
        text: str = unicodedata.normalize("NFC", value).strip()
        return self._text(field, text)

    def _text(self, field: str, value: str) -> str:
        if _CONTROL.search(value):
            raise Invalid(field, f"'{field}' contains control characters.")
        if len(value) < self.min:
            raise Invalid(field, f"'{field}' must be at least {self.min} characters.", "too_short")
        if len(value) > self.max:
            raise Invalid(field, f"'{field}' must be at most {self.max} characters.", "too_long")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise Invalid(field, f"'{field}' {self.hint}")
        return value


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]

    def check(self, field: str, value: Any) -> str:
        if value is None or value == "":
            raise Invalid(field, f"'{field}' is required.", "required")
        if not isinstance(value, str) or value not in self.choices:
            raise Invalid(field, f"'{field}' must be one of {', '.join(self.choices)}.")
        return value


@dataclass(frozen=True)
class Flag:
    def check(self, field: str, value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise Invalid(field, f"'{field}' must be true or false.")
        return value


@dataclass(frozen=True)
class Integer:
    min: int
    max: int

    def check(self, field: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(field, f"'{field}' must be a whole number from {self.min} to {self.max}.")
        if not self.min <= value <= self.max:
            raise Invalid(field, f"'{field}' must be from {self.min} to {self.max}.", "out_of_range")
        return value


EMAIL = r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,20}"
# A phone number, wherever the portal takes one: an owner's contact here, the numbers
# staff publish in content/community.yml on the site. 5 to 20 digits, spaces and '-'
# (service numbers such as 95598 have five), an optional leading '+'.
PHONE = Text(5, 20, required=False, pattern=r"\+?[0-9][0-9 \-]{4,19}",
             hint="must be a phone number such as '0571-8765 4300'.")


def is_phone(value: Any) -> bool:
    """Whether `value` keeps the phone rule (the site's content check asks this)."""
    try:
        return PHONE.check("phone", value) is not None
    except Invalid:
        return False


SUGGESTION = {
    "kind": Choice(tuple(KINDS)),
    "category": Choice(tuple(CATEGORIES)),
    "subject": Text(2, 60),
    "body": Text(5, 2000),
    "building": Text(1, 20, required=False),
    "unit": Text(1, 20, required=False),
    "anonymous": Flag(),
    "website": Text(0, 200, required=False),  # honeypot: people never see it, bots fill it
}
CONTACT = {
    "name": Text(1, 40, required=False),
    "phone": PHONE,
    "email": Text(5, 254, required=False, pattern=EMAIL, hint="must be an e-mail address."),
}
FEEDBACK = {"rating": Integer(1, 5), "comment": Text(0, 500, required=False)}


def check(body: Any, spec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Validate a JSON object against a spec; unknown fields are refused, not ignored."""
    if not isinstance(body, dict):
        raise Invalid(prefix.rstrip(".") or "(body)", "Expected a JSON object.")
    unknown = sorted(set(body) - set(spec) - ({"contact"} if spec is SUGGESTION else set()))
    if unknown:
        raise Invalid(prefix + unknown[0], f"Unknown field '{unknown[0]}'.", "unknown_field")
    return {name: rule.check(prefix + name, body.get(name)) for name, rule in spec.items()}


def suggestion(body: Any) -> dict[str, Any]:
    data = check(body, SUGGESTION)
    contact_raw = body.get("contact") if isinstance(body, dict) else None
    contact = check(contact_raw, CONTACT, "contact.") if contact_raw is not None else {}
    contact = {k: v for k, v in contact.items() if v}
    if data["anonymous"] and (contact or data["unit"]):
        raise Invalid("anonymous", "An anonymous message cannot carry contact details or a unit.")
    data["contact"] = contact
    return data


def idempotency_key(value: str | None, fresh: str) -> str:
    """The client's Idempotency-Key (or `fresh` when it sent none), checked."""
    key = value or fresh
    if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
        raise Invalid("Idempotency-Key", "The Idempotency-Key header must be 8 to 128 "
                      "printable ASCII characters.")
    return key


def no_honeypot(value: object) -> None:
    """The 'website' field people never see: bots fill it, and their message is refused."""
    if value:
        raise Invalid("website", "This field must be left empty.", "honeypot")
