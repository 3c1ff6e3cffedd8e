"""Prove the owners' API holds under load, faults and hostile input, with nothing lost.

    .venv/bin/python scripts/stress.py            # the full suite (a few minutes)
    .venv/bin/python scripts/stress.py --quick    # the same, smaller (about a minute)

Three phases, each against the real app served over HTTP and DynamoDB Local with a
persistent data folder:

1. load: 16 concurrent clients send suggestions and survey responses (an `access: open`
   survey bundled for the run); throughput and p50/p99 latency; then the table is scanned:
   every acknowledged submission stored exactly once, nothing stored unacknowledged, and
   the survey counters' n equal to the stored responses.
2. faults: the same load while DynamoDB Local is stopped and restarted on the same port
   and data folder, then frozen (SIGSTOP) and thawed: while it is away every answer must
   be 503 with Retry-After, never a 500, never slower than the Lambda timeout (15 s);
   afterwards nothing acknowledged may be missing.
3. hostile: schemathesis generates requests from api/openapi.json (positive and negative
   cases, at least 1,000 per operation): no 5xx, every error a JSON body with a `code`.

The server is `chalice local`'s own threaded server (chalice.local.LocalDevServer and its
LocalGateway) started by this script (`serve`), not the `chalice local` command, because
.chalice/config.json fixes RATE_LIMIT=10 for every stage and config values override the
environment: the load needs a higher limit. The adapter also passes each simulated
client's address (header X-Stress-Client) as API Gateway's sourceIp, so the per-address
rate counters spread as they do in production instead of 16 clients fighting over one item.

Prints a table per phase; exit code 0 when every check held, 1 when one failed, 2 when the
stack could not start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
API_DIR = ROOT / "api"
if str(API_DIR) not in sys.path:
    sys.path.insert(0, str(API_DIR))

LAMBDA_TIMEOUT = 15.0       # seconds, api/.chalice/config.json (dev and prod)
SURVEY_ID = "stress-open"
OPEN_SURVEY = f"""\
id: {SURVEY_ID}
title: 压力测试问卷
intro: 仅用于压力测试的开放问卷。
opens: 2000-01-01
closes: 2099-12-31
access: open
households: 100000
sections:
  - title: 基本情况
    questions:
      - id: years
        kind: single
        text: 您在小区居住了多久？
        options: [不到1年, 1到3年, 3年以上]
      - id: sat_service
        kind: rating
        item: 客服接待
        text: 您对客服接待满意吗？
      - id: imp_service
        kind: importance
        pairs_with: sat_service
        text: 客服接待对您有多重要？
      - id: why
        kind: multiple
        required: false
        text: 哪些方面需要改进？
        options: [速度, 态度, 质量]
      - id: nps
        kind: nps
        text: 您愿意向亲友推荐本小区的物业服务吗？
      - id: comment
        kind: text
        required: false
        text: 其他意见
"""
KINDS = ("complaint", "suggestion", "praise", "service_request")
CATEGORIES = ("repairs", "security", "cleaning", "greening", "parking", "fees", "noise",
              "facilities", "neighbours", "other")


# --- the stack ---------------------------------------------------------------------------

def write_open_survey_bundle(folder: Path) -> Path:
    """Bundle an open survey through the portal's own bundler; return the bundle's path."""
    from portal_staff.surveys import bundle

    content = folder / "content"
    (content / "surveys").mkdir(parents=True, exist_ok=True)
    (content / "surveys" / f"{SURVEY_ID}.yml").write_text(OPEN_SURVEY, encoding="utf-8")
    target = folder / "survey_definitions.json"
    bundle(content, target)
    return target


def serve(port: int, bundle_path: Path | None) -> None:
    """The app behind chalice.local's threaded server, as `chalice local` runs it."""
    import logging
    from typing import cast

    from chalice.config import Config
    from chalice.local import (
        ChaliceRequestHandler,
        CustomLocalChalice,
        LocalChalice,
        LocalDevServer,
        ThreadedHTTPServer,
    )

    if bundle_path is not None:  # read by the app's services when they are built
        os.environ["SURVEY_DEFINITIONS"] = str(bundle_path)
    from app import app

    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")

    class Handler(ChaliceRequestHandler):
        """Hands the simulated client's address to the app as API Gateway's sourceIp."""

        def _with_address(self) -> None:
            address = self.headers.get("X-Stress-Client") or self.client_address[0]
            converter = self.local_gateway.event_converter
            make = converter.create_lambda_event

            def create(*args: Any, **kwargs: Any) -> Any:
                event = make(*args, **kwargs)
                event["requestContext"]["identity"]["sourceIp"] = address
                return event

            converter.create_lambda_event = create  # type: ignore[method-assign]
            started = time.monotonic()
            self._generic_handle()
            if time.monotonic() - started > 5:  # counts only, no content: goes to api.log
                print(f"slow request: {self.command} {time.monotonic() - started:.1f} s",
                      file=sys.stderr, flush=True)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _with_address

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the access log would name every client address

    class Server(ThreadedHTTPServer):
        # socketserver's default accept queue is 5, fewer than the clients that may
        # (re)connect at once; an overflowing queue stalls connections instead of refusing.
        request_queue_size = 128

    config = Config.create(chalice_stage="local", app_name="community-portal-api",
                           lambda_timeout=int(LAMBDA_TIMEOUT), lambda_memory_size=256)
    # What chalice.local.create_local_server does, with our handler class.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    LocalDevServer(app, config, "127.0.0.1", port, handler_cls=cast(Any, Handler),
                   server_cls=Server).serve_forever()


@dataclass
class Stack:
    """DynamoDB Local (persistent folder) and the API server, started and stopped together."""

    workdir: Path
    rate_limit: int = 1_000_000
    db_port: int = 0
    api_port: int = 0
    table: str = "stress"
    db: subprocess.Popen[bytes] | None = None
    api: subprocess.Popen[bytes] | None = None
    bundle_path: Path | None = None
    frozen: bool = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.db_port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "dynamodb"

    def start(self) -> None:
        from portal_staff import devstack

        self.db_port = self.db_port or devstack.free_port()
        self.api_port = self.api_port or devstack.free_port()
        self.db = devstack.start_dynamodb(self.db_port, self.data_dir)
        devstack.ensure_table(self.endpoint, self.table)
        self.bundle_path = write_open_survey_bundle(self.workdir)
        env = {**os.environ, **devstack.LOCAL_CREDENTIALS, "DYNAMODB_ENDPOINT": self.endpoint,
               "TABLE_NAME": self.table, "RATE_LIMIT": str(self.rate_limit),
               "SURVEY_RATE_LIMIT": str(self.rate_limit),
               "RATE_WINDOW": "600", "RECEIPT_SECRET": "stress-secret", "RATE_SALT": "stress",
               "CORS_ORIGIN": "http://127.0.0.1:8000", "PYTHONPATH": str(API_DIR)}
        env.pop("PORTAL_NOW", None)
        with (self.workdir / "api.log").open("ab") as log:  # tracebacks and slow requests
            self.api = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "serve", "--port",
                 str(self.api_port), "--bundle", str(self.bundle_path)],
                cwd=API_DIR, env=env, stdout=subprocess.DEVNULL, stderr=log)
        devstack.wait_for_port(self.api_port, proc=self.api)

    def stop_db(self) -> None:
        from portal_staff import devstack

        devstack.stop(self.db)
        if self.db is not None and self.db.stderr is not None:
            self.db.stderr.close()  # devstack keeps Java's stderr as a pipe

    def restart_db(self) -> None:
        from portal_staff import devstack

        self.db = devstack.start_dynamodb(self.db_port, self.data_dir)

    def freeze_db(self) -> None:
        assert self.db is not None
        os.kill(self.db.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw_db(self) -> None:
        assert self.db is not None
        os.kill(self.db.pid, signal.SIGCONT)
        self.frozen = False

    def close(self) -> None:
        from portal_staff import devstack

        if self.frozen:
            self.thaw_db()
        devstack.stop(self.api)
        self.stop_db()

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="ap-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local",
                            config=Config(retries={"max_attempts": 10, "mode": "standard"}))


@contextlib.contextmanager
def stack(workdir: Path | None = None, rate_limit: int = 1_000_000) -> Iterator[Stack]:
    temp = None
    if workdir is None:
        temp = tempfile.mkdtemp(prefix="portal-stress-")
        print(f"working folder: {temp}", file=sys.stderr)
        workdir = Path(temp)
    s = Stack(workdir, rate_limit)
    try:
        s.start()
        yield s
    finally:
        s.close()
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


# --- load --------------------------------------------------------------------------------

@dataclass
class Job:
    kind: str               # "suggestion" or "survey"
    key: str
    body: dict[str, Any]


def jobs(suggestions: int, responses: int, seed: int = 9) -> list[Job]:
    """Plausible submissions, shuffled; each with its own Idempotency-Key."""
    rnd = random.Random(seed)
    out = []
    for i in range(suggestions):
        body: dict[str, Any] = {
            "kind": rnd.choice(KINDS), "category": rnd.choice(CATEGORIES),
            "subject": f"压力测试 {i}", "body": f"第 {i} 条：电梯间的灯坏了，请尽快维修。",
            "building": f"{rnd.randint(1, 12)}栋"}
        if rnd.random() < 0.5:
            body["contact"] = {"phone": f"138 {rnd.randint(1000, 9999)} {rnd.randint(1000, 9999)}"}
        else:
            body["anonymous"] = True
        out.append(Job("suggestion", f"stress-s-{i}-{uuid.uuid4().hex[:8]}", body))
    for i in range(responses):
        answers: dict[str, Any] = {
            "years": rnd.choice(["不到1年", "1到3年", "3年以上"]),
            "sat_service": rnd.randint(1, 5), "imp_service": rnd.randint(1, 5),
            "nps": rnd.randint(0, 10)}
        if rnd.random() < 0.5:
            answers["why"] = rnd.sample(["速度", "态度", "质量"], rnd.randint(1, 3))
        if rnd.random() < 0.3:
            answers["comment"] = f"意见 {i}"
        out.append(Job("survey", f"stress-r-{i}-{uuid.uuid4().hex[:8]}", {"answers": answers}))
    rnd.shuffle(out)
    return out


@dataclass
class Attempt:
    status: int             # 0: no answer (timeout or connection error)
    seconds: float
    retry_after: bool = False
    json_code: bool = True  # an error answer had a JSON body with a code
    during_fault: bool = False
    error: str = ""         # the client-side exception when there was no answer


@dataclass
class Outcome:
    acknowledged: dict[str, str] = field(default_factory=dict)   # key → receipt (or "")
    survey_acks: set[str] = field(default_factory=set)
    attempts: list[Attempt] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, job: Job, attempt: Attempt, receipt: str | None) -> None:
        with self.lock:
            self.attempts.append(attempt)
            if receipt is not None:
                if job.kind == "survey":
                    self.survey_acks.add(job.key)
                else:
                    self.acknowledged[job.key] = receipt

    def latencies(self) -> list[float]:
        return sorted(a.seconds for a in self.attempts if 200 <= a.status < 300)


class Fault:
    """Something done to DynamoDB Local while the clients run; sets `active` while it lasts."""

    def __init__(self) -> None:
        self.active = threading.Event()
        self.log: list[str] = []

    def run(self, stack: Stack, progress: threading.Event) -> None:  # pragma: no cover - hook
        pass


class Outage(Fault):
    """Take DynamoDB Local away for `seconds` once the load is under way, then bring it back."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def down(self, stack: Stack) -> None:
        raise NotImplementedError

    def up(self, stack: Stack) -> None:
        raise NotImplementedError

    def describe(self, elapsed: float) -> str:
        raise NotImplementedError

    def run(self, stack: Stack, progress: threading.Event) -> None:
        progress.wait()
        self.active.set()
        started = time.monotonic()
        self.down(stack)
        time.sleep(self.seconds)
        self.up(stack)
        self.active.clear()
        self.log.append(self.describe(time.monotonic() - started))


class StopRestart(Outage):
    """Stop DynamoDB Local, keep it down, restart it on the same port and data."""

    def down(self, stack: Stack) -> None:
        stack.stop_db()

    def up(self, stack: Stack) -> None:
        stack.restart_db()

    def describe(self, elapsed: float) -> str:
        return f"stopped and restarted DynamoDB Local ({elapsed:.1f} s)"


class Freeze(Outage):
    """SIGSTOP DynamoDB Local: connections open, nothing answers (a hang)."""

    def down(self, stack: Stack) -> None:
        stack.freeze_db()

    def up(self, stack: Stack) -> None:
        stack.thaw_db()

    def describe(self, elapsed: float) -> str:
        return f"froze DynamoDB Local for {self.seconds:.0f} s"


def run_load(stack: Stack, work: list[Job], clients: int = 16,
             faults: list[tuple[float, Fault]] | None = None, deadline: float = 900.0) -> Outcome:
    """`clients` threads share the jobs; each retries a job with its key until acknowledged.

    A fault starts when the given share of the jobs has been acknowledged.
    """
    import requests

    outcome = Outcome()
    queue = list(reversed(work))
    queue_lock = threading.Lock()
    done = [0]
    triggers = [(share, fault, threading.Event()) for share, fault in (faults or [])]
    fault_threads = [threading.Thread(target=f.run, args=(stack, ev), daemon=True)
                     for _, f, ev in triggers]
    for t in fault_threads:
        t.start()
    stop_at = time.monotonic() + deadline

    def client(n: int) -> None:
        session = requests.Session()
        address = f"10.9.{n // 250}.{n % 250 + 1}"
        while True:
            with queue_lock:
                if not queue:
                    return
                job = queue.pop()
            path = "/suggestions" if job.kind == "suggestion" else f"/surveys/{SURVEY_ID}/responses"
            data = json.dumps(job.body, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": job.key,
                       "X-Stress-Client": address}
            delay = 0.05
            while True:
                during = any(f.active.is_set() for _, f, _ in triggers)
                started = time.monotonic()
                try:
                    r = session.post(stack.url + path, data=data, headers=headers,
                                     timeout=LAMBDA_TIMEOUT + 5)
                    status = r.status_code
                except requests.RequestException as exc:
                    session = requests.Session()
                    outcome.record(job, Attempt(0, time.monotonic() - started, during_fault=during,
                                                error=type(exc).__name__), None)
                else:
                    seconds = time.monotonic() - started
                    during = during or any(f.active.is_set() for _, f, _ in triggers)
                    has_code = True
                    if status >= 400:
                        try:
                            has_code = isinstance(r.json().get("code"), str)
                        except ValueError:
                            has_code = False
                    receipt = None
                    if status in (200, 201):
                        receipt = r.json().get("receipt", "") if job.kind == "suggestion" else ""
                    outcome.record(job, Attempt(status, seconds, "Retry-After" in r.headers,
                                                has_code, during), receipt)
                    if receipt is not None:
                        break
                    if status < 500 and status != 429:
                        outcome.gave_up.append(f"{job.key}: {status} {r.text[:200]}")
                        break
                if time.monotonic() > stop_at:
                    outcome.gave_up.append(f"{job.key}: deadline")
                    break
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)
            with queue_lock:
                done[0] += 1
                for share, _, ev in triggers:
                    if done[0] >= share * len(work):
                        ev.set()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcome.wall = time.monotonic() - started
    for _, _, ev in triggers:
        ev.set()
    for t in fault_threads:
        t.join(timeout=60)
    return outcome


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    from portal_domain.store import from_item

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        out = client.scan(**kwargs)
        items.extend(from_item(i) for i in out["Items"])
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


@dataclass
class Audit:
    """What the table holds against what the clients were told."""

    suggestions_acked: int
    cases_stored: int
    missing: list[str]
    unacknowledged: list[str]
    duplicates: int
    responses_acked: int
    responses_stored: int
    counter_n: int

    @property
    def lost(self) -> int:
        return len(self.missing) + max(0, self.responses_acked - self.responses_stored)

    @property
    def ok(self) -> bool:
        return (not self.missing and not self.unacknowledged and self.duplicates == 0
                and self.cases_stored == self.suggestions_acked
                and self.responses_stored == self.responses_acked == self.counter_n)


def audit(stack: Stack, outcome: Outcome, before: list[dict[str, Any]] | None = None) -> Audit:
    """Scan the table: every acknowledged receipt once, nothing else, counters = responses."""
    from portal_domain.receipts import digest

    skip = {(i["PK"], i["SK"]) for i in before or []}
    items = [i for i in scan(stack.client(), stack.table) if (i["PK"], i["SK"]) not in skip]
    cases = [i for i in items if i["SK"] == "CASE"]
    receipts = Counter(i["receipt"] for i in cases)
    idems = Counter(i["idem"] for i in cases)
    acked = set(outcome.acknowledged.values())
    acked_idem = {digest(k) for k in outcome.acknowledged}
    responses = [i for i in items if i["PK"] == f"SURVEY#{SURVEY_ID}" and i["SK"].startswith("RESP#")]
    before_n = sum(int(i.get("n", 0)) for i in before or []
                   if i["PK"] == f"SURVEY#{SURVEY_ID}" and i["SK"].startswith("COUNT#"))
    counter_n = sum(int(i.get("n", 0)) for i in scan(stack.client(), stack.table)
                    if i["PK"] == f"SURVEY#{SURVEY_ID}" and i["SK"].startswith("COUNT#")) - before_n
    return Audit(
        suggestions_acked=len(outcome.acknowledged), cases_stored=len(cases),
        missing=sorted(acked - set(receipts)),
        unacknowledged=sorted(i["receipt"] for i in cases if i["idem"] not in acked_idem),
        duplicates=sum(n - 1 for n in receipts.values()) + sum(n - 1 for n in idems.values()),
        responses_acked=len(outcome.survey_acks), responses_stored=len(responses),
        counter_n=counter_n)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


@dataclass
class FaultReport:
    answers_during: int
    statuses_during: dict[int, int]
    server_errors: int            # 500 or any 5xx other than 503
    no_retry_after: int           # 503 without Retry-After
    no_code: int                  # an error without a JSON code
    slowest: float
    no_answer: int                # timeouts / connection errors (client side)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (self.server_errors == 0 and self.no_retry_after == 0 and self.no_code == 0
                and self.slowest < LAMBDA_TIMEOUT and self.no_answer == 0)


def fault_report(outcome: Outcome) -> FaultReport:
    attempts = outcome.attempts
    during = [a for a in attempts if a.during_fault]
    return FaultReport(
        answers_during=len(during),
        statuses_during=dict(sorted(Counter(a.status for a in during).items())),
        server_errors=sum(1 for a in attempts if a.status >= 500 and a.status != 503),
        no_retry_after=sum(1 for a in attempts if a.status == 503 and not a.retry_after),
        no_code=sum(1 for a in attempts if a.status >= 400 and not a.json_code),
        slowest=max((a.seconds for a in attempts), default=0.0),
        no_answer=sum(1 for a in attempts if a.status == 0),
        errors=dict(Counter(a.error for a in attempts if a.status == 0)))


# --- hostile input -----------------------------------------------------------------------

@dataclass
class FuzzReport:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def run_cases(strategy: Any, n: int, seed: int, each: Any) -> None:
    """Draw `n` cases from a schemathesis strategy with hypothesis and hand each to `each`."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def one(case: Any) -> None:
        each(case)

    one()


def fuzz(base_url: str, per_operation: int, seed: int = 9) -> FuzzReport:
    """schemathesis cases from api/openapi.json, positive and negative, sent over HTTP."""
    import requests
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_path(API_DIR / "openapi.json")
    report = FuzzReport()
    session = requests.Session()

    def check(name: str, case: Any) -> None:
        try:
            r = case.call(base_url=base_url, session=session, timeout=LAMBDA_TIMEOUT + 5)
        except requests.RequestException as exc:
            report.failures.append(f"{name}: no answer ({type(exc).__name__})")
            return
        report.cases[name] += 1
        report.statuses[r.status_code] += 1
        problem = None
        if r.status_code >= 500:
            problem = f"{r.status_code}"
        elif r.status_code >= 400:
            try:
                body = json.loads(r.content)
                if not isinstance(body, dict) or not isinstance(body.get("code"), str):
                    problem = "error body without a code"
            except ValueError:
                problem = "error body is not JSON"
        if problem and len(report.failures) < 50:
            report.failures.append(f"{name}: {problem}: {case.as_curl_command(base_url=base_url)}"
                                   f" → {r.content[:200]!r}")

    from schemathesis.core.result import Ok

    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            report.failures.append(f"the OpenAPI document: {result.err()}")
            continue
        op = result.ok()
        name = op.definition.raw.get("operationId", op.label) if hasattr(op, "definition") else op.label
        variants: list[dict[str, Any]] = [{}]
        if "{survey_id}" in op.path:
            variants = [{}, {"path_parameters": {"survey_id": SURVEY_ID}}]
        runs = [(mode, extra) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for extra in variants]
        for i, (mode, extra) in enumerate(runs):
            n = per_operation // len(runs) + (1 if i < per_operation % len(runs) else 0)
            strategy = op.as_strategy(generation_mode=mode, **extra)

            run_cases(strategy, n, seed + i, lambda case, _n=str(name): check(_n, case))
    return report


# --- the command -------------------------------------------------------------------------

def table(rows: list[tuple[str, str]], title: str) -> str:
    width = max(len(k) for k, _ in rows)
    lines = [title, "-" * len(title)]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def load_rows(outcome: Outcome, result: Audit, clients: int) -> list[tuple[str, str]]:
    lat = outcome.latencies()
    acked = result.suggestions_acked + result.responses_acked
    statuses = Counter(a.status for a in outcome.attempts)
    return [
        ("clients", str(clients)),
        ("suggestions acknowledged / stored", f"{result.suggestions_acked} / {result.cases_stored}"),
        ("survey responses acknowledged / stored / counted n",
         f"{result.responses_acked} / {result.responses_stored} / {result.counter_n}"),
        ("requests sent (incl. retries)", f"{len(outcome.attempts)}  {dict(sorted(statuses.items()))}"),
        ("wall time", f"{outcome.wall:.1f} s"),
        ("throughput", f"{acked / outcome.wall:.1f} acknowledged submissions/s"),
        ("latency p50 / p99 / max (2xx)",
         f"{percentile(lat, 0.5) * 1000:.0f} / {percentile(lat, 0.99) * 1000:.0f} / "
         f"{(lat[-1] if lat else 0) * 1000:.0f} ms"),
        ("missing / unacknowledged / duplicates",
         f"{len(result.missing)} / {len(result.unacknowledged)} / {result.duplicates}"),
        ("gave up", str(len(outcome.gave_up))),
        ("submissions lost", str(result.lost)),
    ]


def fault_rows(report: FaultReport, faults: list[Fault]) -> list[tuple[str, str]]:
    return [
        ("faults", "; ".join(line for f in faults for line in f.log) or "none ran"),
        ("answers while DynamoDB was away", f"{report.answers_during}  {report.statuses_during}"),
        ("5xx other than 503", str(report.server_errors)),
        ("503 without Retry-After", str(report.no_retry_after)),
        ("errors without a JSON code", str(report.no_code)),
        ("no answer (client timeout / reset)", f"{report.no_answer} {report.errors}"),
        ("slowest answer", f"{report.slowest:.1f} s (Lambda timeout {LAMBDA_TIMEOUT:.0f} s)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/stress.py", description=__doc__.split("\n\n")[0],
        epilog="Exit codes: 0 every check held; 1 a check failed (the table says which); "
               "2 the stack (Java, DynamoDB Local) could not start.")
    sub = parser.add_subparsers(dest="command")
    srv = sub.add_parser("serve", help="(internal) run the API server the suite talks to")
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--bundle", type=Path)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--suggestions", type=int, default=5000,
                        help="suggestions in the load phase (default 5000)")
    parser.add_argument("--responses", type=int, default=5000,
                        help="survey responses in the load phase (default 5000)")
    parser.add_argument("--fault-load", type=int, default=1500,
                        help="suggestions and as many responses during the fault phase (default 1500)")
    parser.add_argument("--cases", type=int, default=1000,
                        help="schemathesis cases per operation (default 1000)")
    parser.add_argument("--quick", action="store_true",
                        help="a smaller run: 1000+1000 load, 300 fault load, 100 cases per operation")
    parser.add_argument("--skip", action="append", default=[], choices=["load", "faults", "hostile"],
                        help="leave a phase out (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.bundle)
        return 0
    if args.quick:
        args.suggestions, args.responses, args.fault_load, args.cases = 1000, 1000, 300, 100

    from portal_staff.devstack import StackError

    ok = True
    lost = 0
    try:
        with stack() as s:
            if "load" not in args.skip:
                outcome = run_load(s, jobs(args.suggestions, args.responses), args.clients)
                result = audit(s, outcome)
                lost += result.lost
                good = result.ok and not outcome.gave_up and fault_report(outcome).server_errors == 0
                ok &= good
                print(table(load_rows(outcome, result, args.clients),
                            f"LOAD ({'held' if good else 'FAILED'})"), flush=True)
                for line in outcome.gave_up[:10]:
                    print("  gave up:", line)
            if "faults" not in args.skip:
                before = scan(s.client(), s.table)
                faults: list[Fault] = [StopRestart(5.0), Freeze(20.0)]
                outcome = run_load(s, jobs(args.fault_load, args.fault_load, seed=10), args.clients,
                                   faults=[(0.25, faults[0]), (0.6, faults[1])])
                result = audit(s, outcome, before)
                report = fault_report(outcome)
                lost += result.lost
                good = result.ok and report.ok and not outcome.gave_up and all(f.log for f in faults)
                ok &= good
                print()
                print(table(load_rows(outcome, result, args.clients) + fault_rows(report, faults),
                            f"FAULTS ({'survived' if good else 'FAILED'})"), flush=True)
                for line in outcome.gave_up[:10]:
                    print("  gave up:", line)
            if "hostile" not in args.skip:
                started = time.monotonic()
                fz = fuzz(s.url, args.cases)
                print()
                rows = [(f"cases: {op}", str(n)) for op, n in fz.cases.items()]
                rows += [("statuses", str(dict(sorted(fz.statuses.items())))),
                         ("5xx / errors without a code", str(len(fz.failures))),
                         ("time", f"{time.monotonic() - started:.1f} s")]
                ok &= fz.ok
                print(table(rows, f"HOSTILE INPUT (schemathesis {'held' if fz.ok else 'FAILED'})"))
                for line in fz.failures[:20]:
                    print("  ", line)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print()
    print(f"submissions lost: {lost}")
    print("RESULT:", "every check held" if ok and lost == 0 else "FAILED")
    return 0 if ok and lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
