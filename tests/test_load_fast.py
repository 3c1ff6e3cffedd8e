"""The fast subset of scripts/stress.py: concurrent clients over real HTTP against DynamoDB
Local (persistent data folder), a database stopped and restarted mid-load, and a hung one.
Nothing acknowledged may be lost or stored twice; while the database is away the answer
is a 503 with Retry-After, within the Lambda timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stress  # scripts/stress.py: the load and fault library the stress command runs

from conftest import MESSAGE, Clock, post, serving
from portal_domain.cases import CaseService
from portal_domain.settings import Settings
from portal_domain.store import Store, client_from_env


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """DynamoDB Local with a data folder, and the app behind chalice.local's threaded server."""
    with stress.stack(tmp_path_factory.mktemp("load")) as s:
        yield s


def test_16_clients_every_acknowledged_submission_stored_exactly_once(live: Any) -> None:
    before = stress.scan(live.client(), live.table)
    outcome = stress.run_load(live, stress.jobs(160, 160, seed=1), clients=16)
    result = stress.audit(live, outcome, before)
    assert outcome.gave_up == []
    assert result.suggestions_acked == result.cases_stored == 160
    assert result.responses_acked == result.responses_stored == result.counter_n == 160
    assert (result.missing, result.unacknowledged, result.duplicates) == ([], [], 0)
    assert stress.fault_report(outcome).server_errors == 0


def test_database_stopped_and_restarted_mid_load_loses_nothing(live: Any) -> None:
    before = stress.scan(live.client(), live.table)
    fault = stress.StopRestart(2.0)
    outcome = stress.run_load(live, stress.jobs(120, 120, seed=2), clients=16,
                              faults=[(0.3, fault)])
    result = stress.audit(live, outcome, before)
    report = stress.fault_report(outcome)
    assert fault.log, "the fault never ran"
    assert 503 in report.statuses_during             # the outage was seen by the clients
    assert report.server_errors == 0 and report.no_retry_after == 0 and report.no_code == 0
    assert report.slowest < stress.LAMBDA_TIMEOUT
    assert outcome.gave_up == [] and result.ok and result.lost == 0


def test_a_hung_database_is_a_503_well_within_the_lambda_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that accepts the connection and never answers (the worst case): the
    app's own client settings (timeouts x attempts + backoff) must give up before 15 s.
    With the earlier read_timeout of 5 s this took 20 s: a Lambda timeout, not a 503."""
    from chalice.test import Client

    from app import app

    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # the kernel completes handshakes; nobody ever reads
        monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{hole.getsockname()[1]}")
        for k, v in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
            monkeypatch.setenv(k, v)
        service = CaseService(Store("t", client_from_env()), Settings(secret=b"s"), Clock())
        started = time.monotonic()
        with serving(cases=service), Client(app) as api:
            r = post(api, MESSAGE)
        elapsed = time.monotonic() - started
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert elapsed < stress.LAMBDA_TIMEOUT - 3  # room for the cold start and the response
