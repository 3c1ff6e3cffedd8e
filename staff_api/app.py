"""Staff API for the case desk (工单台): its own Chalice app and Lambda function, with its
own role, throttle and CORS setting, over the same domain code as the owners' API.

Every route checks the sign-in token itself (portal_domain.auth) and the caller's role;
every change records who made it and is refused with 409 when the case changed since the
caller read it (send back the `version` you were shown). Contact details are only in
GET /staff/cases/{receipt}. A case as staff see it is portal_domain.model.Case's staff
view; the actions on a case are a table, name → (roles, handler), one function each.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from chalice.app import Chalice, CORSConfig

from portal_contracts import messages
from portal_contracts.clock import local_month
from portal_contracts.files import as_data
from portal_domain import figures, web
from portal_domain.auth import Forbidden, Staff, verifier
from portal_domain.cases import CaseService
from portal_domain.composition import services
from portal_domain.errors import Invalid, NotFound
from portal_domain.model import Case

app = Chalice(app_name="community-portal-staff")
app.log.setLevel(logging.INFO)
cors = CORSConfig(
    allow_origin=os.environ.get("CORS_ORIGIN", "http://127.0.0.1:8000"),
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    max_age=600,
)
api = web.api(app)
app.middleware("http")(web.chalice_errors_as_ours)

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


def card(case: Case, contact: dict[str, Any] | None = None) -> dict[str, Any]:
    """A case as staff see it (Case.staff_view); contact details only when given."""
    return case.staff_view(services().cases.clock(), contact)


def visible(staff: Staff, case: Case) -> Case:
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
    listed = cases.month(q["month"]) if q.get("month") else cases.queue()
    now = cases.clock()
    for name in ("status", "kind", "department", "grade"):
        if q.get(name):
            listed = [c for c in listed if str(getattr(c, name) or "") == q[name]]
    if q.get("overdue") == "1":
        listed = [c for c in listed if c.overdue(now)]
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
    cases = services().cases
    found = visible(staff, cases.get(receipt))
    return 200, card(found, cases.contact(found))


# --- the actions on a case: POST /staff/cases/{receipt}/{action} ----------------------------

Handler = Callable[[CaseService, str, dict[str, Any], Staff, int], Case]


@dataclass(frozen=True)
class Action:
    roles: tuple[str, ...]   # who may take it
    run: Handler             # (cases, receipt, body, staff, version) → the changed case


ACTIONS: dict[str, Action] = {}


def action(name: str, *roles: str) -> Callable[[Handler], Handler]:
    """List a handler in ACTIONS under `name`, for `roles`."""

    def register(run: Handler) -> Handler:
        ACTIONS[name] = Action(roles, run)
        return run

    return register


@action("grade", "clerk")
def _grade(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int) -> Case:
    return cases.grade(receipt, data.get("grade"), staff.username, v)  # type: ignore[arg-type]


@action("assign", "clerk")
def _assign(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int
            ) -> Case:
    return cases.assign(receipt, None, _text(data, "department"), staff.username, v,
                        _text(data, "assignee"))


@action("reply", "clerk", "department")
def _reply(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int) -> Case:
    return cases.reply(receipt, _text(data, "text"), staff.username, v,
                       _text(data, "status") or None)


@action("note", "clerk", "department", "manager")
def _note(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int) -> Case:
    return cases.note(receipt, _text(data, "text"), staff.username, v)


@action("status", "clerk", "department")
def _status(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int
            ) -> Case:
    status = _text(data, "status")
    if status not in ("in_progress", "resolved") and not staff.may("clerk"):
        raise Forbidden("A department moves its cases to in progress or resolved; "
                        "customer service closes them.")
    return cases.set_status(receipt, status, "", staff.username, v)


@action("followup", "clerk")
def _followup(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int
              ) -> Case:
    return cases.follow_up(receipt, _text(data, "note"), _text(data, "result"), staff.username,
                           v, _text(data, "retry_at") or None)


@action("close", "clerk")
def _close(cases: CaseService, receipt: str, data: dict[str, Any], staff: Staff, v: int) -> Case:
    return cases.close(receipt, staff.username, v)


@app.route("/staff/cases/{receipt}/{action}", methods=["POST"], cors=cors,
           content_types=web.ANY_BODY)
@api
@signed_in("clerk", "department", "manager")
def act(receipt: str, action: str, staff: Staff) -> tuple[int, Any]:
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise NotFound("No such action.")
    if not staff.may(*chosen.roles):
        raise Forbidden()
    data = body()
    v = version(data)
    cases = services().cases
    # the department is checked on the version the change will be written at (else 409)
    visible(staff, cases.get(receipt, version=v))  # no contact read: it is not needed here
    return 200, card(chosen.run(cases, receipt, data, staff, v))


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
    return 200, {"summary": as_data(figures.summarise(month, listed, now)),
                 "people": figures.by_person(listed)}
