"""What both Chalice apps (the owners' API and the staff API) do around a route: JSON
bodies in, JSON answers and errors out, nothing an owner wrote in the logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from chalice.app import Chalice, Response

from .errors import ApiError, Invalid

MAX_BODY = 16 * 1024
# Accept any body type at the router so a wrong one gets our JSON 415, not Chalice's.
ANY_BODY = ["application/json", "text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data", "application/octet-stream", "application/xml", "text/html"]


def _plain(value: Any) -> Any:
    """DynamoDB numbers arrive as Decimal: whole ones as int, others as float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(type(value).__name__)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False, default=_plain), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8",
                             "Cache-Control": "no-store", **(headers or {})})


def api(app: Chalice) -> Callable[[Callable[..., tuple[int, Any]]], Callable[..., Response]]:
    """Turn ApiError into its 4xx/503 JSON answer; anything else is logged without the body."""

    def decorate(view: Callable[..., tuple[int, Any]]) -> Callable[..., Response]:
        @wraps(view)
        def run(*args: Any, **kwargs: Any) -> Response:
            try:
                status, body = view(*args, **kwargs)
                return json_response(status, body)
            except (ApiError, Invalid) as err:
                return json_response(err.status, err.body(), err.headers)
            except Exception as exc:
                # The message may quote what an owner wrote; log only the type and the route.
                app.log.error("unhandled %s in %s", type(exc).__name__, view.__name__,
                              exc_info=False)
                return json_response(500, {"code": "internal", "message": "Internal error."})

        return run

    return decorate


def json_body(app: Chalice) -> Any:
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
