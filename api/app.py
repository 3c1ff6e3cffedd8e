"""Public API for owners' messages and survey answers. Routes only: the work is in portal_domain."""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice.app import Chalice, CORSConfig

from portal_domain import web
from portal_domain.composition import services

app = Chalice(app_name="community-portal-api")
app.log.setLevel(logging.INFO)

# Only the portal's own origin may call the API from a browser (set per stage).
cors = CORSConfig(
    allow_origin=os.environ.get("CORS_ORIGIN", "http://127.0.0.1:8000"),
    allow_headers=["Content-Type", "Idempotency-Key"],
    expose_headers=["Retry-After"],
    max_age=600,
)
api = web.api(app)
app.middleware("http")(web.chalice_errors_as_ours)


def json_body() -> Any:
    return web.json_body(app)


def client_address() -> str:
    request = app.current_request
    identity = (request.context.get("identity") or {}) if request else {}
    return str(identity.get("sourceIp") or "unknown")


@app.route("/suggestions", methods=["POST"], cors=cors, content_types=web.ANY_BODY)
@api
def submit_suggestion() -> tuple[int, dict[str, Any]]:
    request = app.current_request
    key = request.headers.get("idempotency-key") if request else None
    return services().cases.submit(json_body(), key, client_address())


@app.route("/suggestions/{receipt}", methods=["GET"], cors=cors)
@api
def follow_suggestion(receipt: str) -> tuple[int, dict[str, Any]]:
    return 200, services().cases.public_view(receipt, client_address())


@app.route("/suggestions/{receipt}/feedback", methods=["POST"], cors=cors, content_types=web.ANY_BODY)
@api
def rate_suggestion(receipt: str) -> tuple[int, dict[str, Any]]:
    return 200, services().cases.feedback(receipt, json_body(), client_address())


@app.route("/surveys/{survey_id}/responses", methods=["POST"], cors=cors, content_types=web.ANY_BODY)
@api
def answer_survey(survey_id: str) -> tuple[int, dict[str, Any]]:
    request = app.current_request
    key = request.headers.get("idempotency-key") if request else None
    return services().surveys.submit(survey_id, json_body(), key, client_address())
