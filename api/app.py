"""Public API for owners' messages and survey answers. Routes only: the work is in portal_domain."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice.app import Chalice, CORSConfig, Response

from portal_domain.composition import services
from portal_domain.errors import ApiError, Invalid

app = Chalice(app_name="community-portal-api")
app.log.setLevel(logging.INFO)

MAX_BODY = 16 * 1024
# Only the portal's own origin may call the API from a browser (set per stage).
cors = CORSConfig(
    allow_origin=os.environ.get("CORS_ORIGIN", "http://127.0.0.1:8000"),
    allow_headers=["Content-Type", "Idempotency-Key"],
    expose_headers=["Retry-After"],
    max_age=600,
)
# Accept any body type at the router so a wrong one gets our JSON 415, not Chalice's.
ANY_BODY = ["application/json", "text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data", "application/octet-stream", "application/xml", "text/html"]


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8",
                             "Cache-Control": "no-store", **(headers or {})})


def api(view: Callable[..., tuple[int, dict[str, Any]]]) -> Callable[..., Response]:
    """Turn ApiError into its 4xx/503 JSON answer; anything else is logged without the body."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Response:
        try:
            status, body = view(*args, **kwargs)
            return json_response(status, body)
        except (ApiError, Invalid) as err:
            return json_response(err.status, err.body(), err.headers)
        except Exception:
            # The message may quote what an owner wrote; log only the type and the route.
            app.log.error("unhandled error in %s", view.__name__, exc_info=False)
            return json_response(500, {"code": "internal", "message": "Internal error."})

    return run


def json_body() -> Any:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a view
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BODY:
        raise ApiError(413, "too_large", f"The body is limited to {MAX_BODY} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("(body)", "The body is not valid UTF-8.", "invalid_encoding") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Invalid("(body)", "The body is not valid JSON.", "invalid_json") from None
    try:  # "\ud800" escapes decode to lone surrogates, which cannot be stored or hashed
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("(body)", "The body is not valid UTF-8.", "invalid_encoding") from None
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def client_address() -> str:
    request = app.current_request
    identity = (request.context.get("identity") or {}) if request else {}
    return str(identity.get("sourceIp") or "unknown")


@app.middleware("http")
def chalice_errors_as_ours(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice answers 405/415 itself as {Code, Message}; give them our {code, message} shape."""
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        code = str(response.body["Code"])
        snake = "".join("_" + c.lower() if c.isupper() else c for c in code).lstrip("_")
        response.body = json.dumps({"code": snake.removesuffix("_error"),
                                    "message": str(response.body.get("Message", ""))})
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


@app.route("/suggestions", methods=["POST"], cors=cors, content_types=ANY_BODY)
@api
def submit_suggestion() -> tuple[int, dict[str, Any]]:
    request = app.current_request
    key = request.headers.get("idempotency-key") if request else None
    return services().cases.submit(json_body(), key, client_address())


@app.route("/suggestions/{receipt}", methods=["GET"], cors=cors)
@api
def follow_suggestion(receipt: str) -> tuple[int, dict[str, Any]]:
    return 200, services().cases.public_view(receipt, client_address())


@app.route("/suggestions/{receipt}/feedback", methods=["POST"], cors=cors, content_types=ANY_BODY)
@api
def rate_suggestion(receipt: str) -> tuple[int, dict[str, Any]]:
    return 200, services().cases.feedback(receipt, json_body(), client_address())


@app.route("/surveys/{survey_id}/responses", methods=["POST"], cors=cors, content_types=ANY_BODY)
@api
def answer_survey(survey_id: str) -> tuple[int, dict[str, Any]]:
    request = app.current_request
    key = request.headers.get("idempotency-key") if request else None
    return services().surveys.submit(survey_id, json_body(), key, client_address())
