"""Staff API for the case desk (工单台): its own Chalice app and Lambda function, with its
own role, throttle and CORS setting, over the same domain code as the owners' API.

Every route checks the sign-in token itself (portal_domain.auth) and the caller's role;
every change records who made it and is refused with 409 when the case changed since the
caller read it (send back the `version` you were shown). Contact details are only in
GET /staff/cases/{receipt}.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice.app import Chalice, CORSConfig

from portal_contracts import messages
from portal_contracts.clock import local_month
from portal_domain import figures, web
from portal_domain.auth import Forbidden, Staff, verifier
from portal_domain.cases import overdue
from portal_domain.composition import services
from portal_domain.errors import Conflict, Invalid, NotFound

app = Chalice(app_name="community-portal-staff")
app.log.setLevel(logging.INFO)
cors = CORSConfig(
    allow_origin=os.environ.get("CORS_ORIGIN", "http://127.0.0.1:8000"),
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    max_age=600,
)
api = web.api(app)
app.middleware("http")(web.chalice_errors_as_ours)

CASE_FIELDS = ("receipt", "kind", "category", "subject", "body", "building", "anonymous", "status",
               "created_at", "respond_by", "respond_within_hours", "grade", "department",
               "assignee", "reply", "first_reply_at", "resolved_at", "followed_up_at",
               "followup_result", "next_followup_at", "followups", "reopened", "channel",
               "entered_by", "feedback", "closed_at", "version", "overdue")


def signed_in(*roles: str) -> Callable[[Callable[..., tuple[int, Any]]],
                                       Callable[..., tuple[int, Any]]]:
    """The route needs a valid sign-in with one of `roles`; the view gets `staff=`."""

    def decorate(view: Callable[..., tuple[int, Any]]) -> Callable[..., tuple[int, Any]]:
        @wraps(view)
        def run(*args: Any, **kwargs: Any) -> tuple[int, Any]:
            request = app.current_request
            header = request.headers.get("authorization") if request else None
            staff = verifier().staff(header)
            if not staff.may(*roles):
                raise Forbidden()
            return view(*args, staff=staff, **kwargs)

        return run

    return decorate


def query() -> dict[str, str]:
    request = app.current_request
    params = request.query_params if request is not None else None
    return dict(params or {})


def body() -> dict[str, Any]:
    data = web.json_body(app)
    if not isinstance(data, dict):
        raise Invalid("(body)", "Expected a JSON object.")
    return data


def version(data: dict[str, Any]) -> int:
    v = data.get("version")
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise Invalid("version", "Send the version of the case you are changing.")
    return v


def card(case: dict[str, Any], contact: bool = False) -> dict[str, Any]:
    """A case as staff see it: no internal keys; contact details only when asked for."""
    out = {k: case[k] for k in CASE_FIELDS if k in case}
    out.setdefault("version", 0)  # a case stored before versions were kept
    out["timeline"] = [{k: t.get(k, "") for k in ("at", "status", "note", "by", "public",
                                                  "internal")}
                       for t in case.get("timeline", [])]
    if contact:
        out["contact"] = case.get("contact", {})
    return out


def visible(staff: Staff, case: dict[str, Any]) -> dict[str, Any]:
    if not staff.sees(case):
        raise NotFound()  # a department does not learn that other cases exist
    return case


@app.route("/staff/me", methods=["GET"], cors=cors)
@api
@signed_in("clerk", "department", "manager")
def me(staff: Staff) -> tuple[int, Any]:
    return 200, {"username": staff.username, "roles": sorted(staff.roles),
                 "department": staff.department, "departments": messages.DEPARTMENTS,
                 "grades": messages.GRADES, "kinds": messages.KINDS,
                 "categories": messages.CATEGORIES, "statuses": messages.STATUSES,
                 "followup_results": messages.FOLLOWUP_RESULTS,
                 "month": local_month(services().cases.clock())}


@app.route("/staff/cases", methods=["GET"], cors=cors)
@api
@signed_in("clerk", "department", "manager")
def queue(staff: Staff) -> tuple[int, Any]:
    """Open cases (or a month's cases with ?month=), filtered; overdue first."""
    q = query()
    cases = services().cases
    if q.get("month"):
        now = cases.clock()
        listed = [{**c, "overdue": overdue(c, now)} for c in cases.month(q["month"])]
    else:
        listed = cases.queue()
    for name in ("status", "kind", "department"):
        if q.get(name):
            listed = [c for c in listed if str(c.get(name, "")) == q[name]]
    if q.get("grade"):
        listed = [c for c in listed if str(c.get("grade", "")) == q["grade"]]
    if q.get("overdue") == "1":
        listed = [c for c in listed if c["overdue"]]
    return 200, {"cases": [card(c) for c in listed if staff.sees(c)]}


@app.route("/staff/cases", methods=["POST"], cors=cors, content_types=web.ANY_BODY)
@api
@signed_in("clerk")
def enter(staff: Staff) -> tuple[int, Any]:
    """A case taken by phone or at the counter, entered for the owner."""
    data = body()
    channel = str(data.pop("channel", ""))
    request = app.current_request
    key = request.headers.get("idempotency-key") if request else None
    return services().cases.enter_for_owner(data, channel, key, staff.username)


@app.route("/staff/cases/{receipt}", methods=["GET"], cors=cors)
@api
@signed_in("clerk", "department", "manager")
def case(receipt: str, staff: Staff) -> tuple[int, Any]:
    return 200, card(visible(staff, services().cases.staff_view(receipt)), contact=True)


ACTIONS: dict[str, tuple[str, ...]] = {
    "grade": ("clerk",), "assign": ("clerk",), "reply": ("clerk", "department"),
    "note": ("clerk", "department", "manager"), "status": ("clerk", "department"),
    "followup": ("clerk",), "close": ("clerk",),
}


@app.route("/staff/cases/{receipt}/{action}", methods=["POST"], cors=cors,
           content_types=web.ANY_BODY)
@api
@signed_in("clerk", "department", "manager")
def act(receipt: str, action: str, staff: Staff) -> tuple[int, Any]:
    if action not in ACTIONS:
        raise NotFound("No such action.")
    if not staff.may(*ACTIONS[action]):
        raise Forbidden()
    cases = services().cases
    checked = visible(staff, cases.get(receipt))  # no contact read: it is not needed here
    data = body()
    v, by = version(data), staff.username
    if v != int(checked.get("version", 0)):
        # the change is written only at the version whose department was checked here
        raise Conflict("changed", "Someone changed this case since you opened it; "
                       "reload it and try again.")
    if action == "grade":
        done = cases.grade(receipt, data.get("grade"), by, v)  # type: ignore[arg-type]
    elif action == "assign":
        done = cases.assign(receipt, None, _text(data, "department"), by, v,
                            _text(data, "assignee"))
    elif action == "reply":
        done = cases.reply(receipt, _text(data, "text"), by, v, data.get("status") or None)
    elif action == "note":
        done = cases.note(receipt, _text(data, "text"), by, v)
    elif action == "status":
        status = _text(data, "status")
        if status not in ("in_progress", "resolved") and not staff.may("clerk"):
            raise Forbidden("A department moves its cases to in progress or resolved; "
                            "customer service closes them.")
        done = cases.set_status(receipt, status, "", by, v)
    elif action == "followup":
        done = cases.follow_up(receipt, _text(data, "note"), _text(data, "result"), by, v,
                               data.get("retry_at") or None)
    else:
        done = cases.close(receipt, by, v)
    return 200, card({**done, "overdue": overdue(done, cases.clock())})


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise Invalid(name, f"'{name}' must be text.")
    return value


@app.route("/staff/replies", methods=["GET"], cors=cors)
@api
@signed_in("clerk", "department", "manager")
def canned(staff: Staff) -> tuple[int, Any]:
    return 200, {"replies": services().cases.canned_replies()}


@app.route("/staff/replies/{reply_id}", methods=["PUT", "DELETE"], cors=cors,
           content_types=web.ANY_BODY)
@api
@signed_in("manager")
def edit_canned(reply_id: str, staff: Staff) -> tuple[int, Any]:
    request = app.current_request
    cases = services().cases
    if request is not None and request.method == "DELETE":
        cases.delete_canned_reply(reply_id)
        return 200, {"deleted": reply_id}
    data = body()
    return 200, cases.save_canned_reply(reply_id, _text(data, "title"), _text(data, "text"),
                                        staff.username)


@app.route("/staff/figures", methods=["GET"], cors=cors)
@api
@signed_in("manager")
def month_figures(staff: Staff) -> tuple[int, Any]:
    """The month so far (or ?month=): the published figures, and per person."""
    cases = services().cases
    now = cases.clock()
    month = query().get("month") or local_month(now)
    listed = cases.month(month)
    return 200, {"summary": figures.summarise(month, listed, "", now),
                 "people": figures.by_person(listed)}
