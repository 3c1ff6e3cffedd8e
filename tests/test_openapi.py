"""The OpenAPI document describes exactly the API that runs, and its examples are accepted."""

from __future__ import annotations

import json
import re
from typing import Any

from conftest import ROOT, post
from portal_domain.openapi import document


def test_committed_document_is_current() -> None:
    committed = json.loads((ROOT / "api" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == document(), "run: PYTHONPATH=api python -m portal_domain.openapi > api/openapi.json"


def test_every_route_is_documented_and_nothing_else() -> None:
    from app import app

    routes = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    assert routes == documented


def test_documented_example_is_accepted_and_the_answer_matches_the_schema(api_client: Any) -> None:
    doc = document()
    op = doc["paths"]["/suggestions"]["post"]
    example = op["requestBody"]["content"]["application/json"]["schema"]["example"]
    r = post(api_client, example)
    assert r.status_code == 201
    receipt = doc["components"]["schemas"]["Receipt"]
    assert set(r.json_body) == set(receipt["required"])
    assert re.match(receipt["properties"]["receipt"]["pattern"], r.json_body["receipt"])
    case = api_client.http.get(f"/suggestions/{r.json_body['receipt']}").json_body
    assert set(case) == set(doc["components"]["schemas"]["Case"]["required"])


def test_documented_error_statuses_include_what_the_api_answers(api_client: Any) -> None:
    responses = document()["paths"]["/suggestions"]["post"]["responses"]
    for body, status in [({"kind": "x"}, 400), (b"x" * 20000, 413)]:
        answered = post(api_client, body).status_code
        assert answered == status and str(answered) in responses
