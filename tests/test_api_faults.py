"""When DynamoDB throttles or is unreachable, the owner gets a 503 to retry, never a 500."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from conftest import MESSAGE, Clock, app_client, free_port, post
from portal_domain.cases import CaseService
from portal_domain.settings import Settings
from portal_domain.store import Store


@contextlib.contextmanager
def app_with(service: CaseService, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from app_client(cases=service)


@pytest.fixture
def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("dynamodb", region_name="ap-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    return client, Stubber(client)


@pytest.mark.parametrize("error", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                   "InternalServerError", "TransactionConflictException"])
def test_throttling_is_a_503_with_retry_after(stubbed: tuple[Any, Stubber], error: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    client, stub = stubbed
    stub.add_client_error("transact_write_items", service_error_code=error, http_status_code=400)
    with stub, app_with(CaseService(Store("t", client), Settings(secret=b"s"), Clock()),
                        monkeypatch) as api:
        r = post(api, MESSAGE)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert json.loads(r.body)["code"] == "unavailable"


def test_transaction_cancelled_by_throttling_is_a_503(stubbed: tuple[Any, Stubber],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    client, stub = stubbed
    stub.add_client_error(
        "transact_write_items", service_error_code="TransactionCanceledException",
        http_status_code=400,
        response_meta={}, modeled_fields={"CancellationReasons": [
            {"Code": "None"}, {"Code": "ThrottlingError"}, {"Code": "None"}]})
    with stub, app_with(CaseService(Store("t", client), Settings(secret=b"s"), Clock()),
                        monkeypatch) as api:
        r = post(api, MESSAGE)
    assert r.status_code == 503


def test_conditional_check_failed_on_feedback_is_a_409(stubbed: tuple[Any, Stubber],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    client, stub = stubbed
    case = {"PK": {"S": "CASE#K7M4-QX9P"}, "SK": {"S": "CASE"}, "receipt": {"S": "K7M4-QX9P"},
            "kind": {"S": "complaint"}, "category": {"S": "noise"}, "status": {"S": "received"},
            "created_at": {"S": "2026-11-23T02:13:20Z"}, "respond_by": {"S": "2026-11-24T02:13:20Z"}}
    stub.add_response("get_item", {"Item": case})
    stub.add_client_error("update_item", service_error_code="ConditionalCheckFailedException",
                          http_status_code=400)
    stub.add_response("get_item", {"Item": case})
    with stub, app_with(CaseService(Store("t", client), Settings(secret=b"s"), Clock()),
                        monkeypatch) as api:
        r = post(api, {"rating": 4}, path="/suggestions/K7M4-QX9P/feedback")
    assert r.status_code == 409 and json.loads(r.body)["code"] == "not_resolved"


def test_an_unreachable_database_is_a_503_within_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    client = boto3.client(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="ap-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}))
    started = time.monotonic()
    with app_with(CaseService(Store("t", client), Settings(secret=b"s"), Clock()), monkeypatch) as api:
        r = post(api, MESSAGE)
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert time.monotonic() - started < 10
