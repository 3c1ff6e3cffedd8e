"""The content editor's git proxy as a Lambda function of its own, behind an API Gateway REST
API (`ANY /{proxy+}`, Lambda proxy integration; deploy/staff.yml): the event in, a response
dict out. What passes and what is refused is portal_domain.git_proxy; this file translates.

Why not a route of the staff API: the editor calls GitHub paths of every depth, which needs
a greedy path parameter, and Chalice has none (chalice 1.34 matches only `{name}` segments,
in `chalice local` and its test client too; aws/chalice#2012 would add `{proxy+}` and is
still open). Why a REST API and not an HTTP API: REST APIs hand the path over still
percent-encoded (`event["path"]`), as the proxy must forward it (editorial branches are
`cms%2Fnotices%2F…`); HTTP APIs decode `rawPath`. The proxy reads both forms the same way.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote, urlencode

from portal_domain.git_proxy import GitProxy, Request, Response

logging.getLogger("portal_domain.git_proxy").setLevel(logging.INFO)  # one line per call
TEXT = ("application/json", "text/")

_proxy: GitProxy | None = None


def proxy() -> GitProxy:
    """The proxy, built on first use (nothing is read or fetched at import)."""
    global _proxy
    if _proxy is None:
        _proxy = GitProxy()
    return _proxy


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return to_lambda(proxy().handle(from_event(event)))


def from_event(event: dict[str, Any]) -> Request:
    """An API Gateway (REST, payload 1.0) proxy event as the proxy's Request."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    params = event.get("multiValueQueryStringParameters") or {
        k: [v] for k, v in (event.get("queryStringParameters") or {}).items()}
    # API Gateway hands the query over decoded; written again, it means the same to the host
    query = urlencode([(k, v) for k, values in params.items() for v in values], quote_via=quote)
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    return Request(str(event.get("httpMethod", "GET")).upper(), str(event.get("path") or "/"),
                   query, headers, body)


def to_lambda(response: Response) -> dict[str, Any]:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not response.body or kind.startswith(TEXT):
        try:
            return {"statusCode": response.status, "headers": response.headers,
                    "body": response.body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"statusCode": response.status, "headers": response.headers,
            "body": base64.b64encode(response.body).decode("ascii"), "isBase64Encoded": True}
