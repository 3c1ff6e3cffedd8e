"""Benchmark: the API's POST /suggestions against a bare boto3 put_item, and cold import cost.

In-process (chalice.test.Client) against DynamoDB Local, N requests each, after a warm-up:
p50 and p99 of POST /suggestions (validation, one TransactWriteItems with the rate counter,
the case and the contact item) next to a bare `put_item` of the same case item. Then the
cold import of the app module in a fresh interpreter against importing boto3 and chalice
alone (median of several runs).

    .venv/bin/python scripts/bench_api.py            # 2,000 requests each
    .venv/bin/python scripts/bench_api.py -n 500

Targets: p50(POST) <= 1.3 x p50(put_item); import(app) <= 1.15 x import(boto3 + chalice).
Exit code 0 when both hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "api"))
sys.path.insert(0, str(ROOT / "site_src"))

BODY = {"kind": "complaint", "category": "noise", "subject": "夜间施工噪音",
        "body": "3栋旁边工地晚上十一点还在施工，影响老人休息，请尽快协调。", "building": "3栋",
        "unit": "1502", "contact": {"name": "王阿姨", "phone": "138 0000 1234"}}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


def import_time(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; "
                                   "print(time.perf_counter()-t)"],
            cwd=ROOT / "api", capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        times.append(float(out.stdout.strip()))
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per case")
    parser.add_argument("--imports", type=int, default=15, help="interpreter starts per case")
    args = parser.parse_args(argv)

    import boto3
    from chalice.test import Client

    from app import app
    from portal_domain import composition
    from portal_domain.cases import CaseService
    from portal_domain.settings import Settings
    from portal_domain.store import Store, client_from_env, create_table, to_item
    from portal_domain.surveys import SurveyService
    from portal_staff import devstack

    port = devstack.free_port()
    db = devstack.start_dynamodb(port, None)
    try:
        client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                              region_name="ap-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x")
        create_table(client, "bench")
        # the app's own client, as composition.from_env() builds it
        app_client = client_from_env(endpoint_url=f"http://127.0.0.1:{port}",
                                     aws_access_key_id="x", aws_secret_access_key="x")
        service = CaseService(Store("bench", app_client),
                              Settings(secret=b"bench", rate_limit=10**9))
        composition.use(composition.Services(service, SurveyService(
            service.store, service.settings, {}, service.clock)))
        raw = json.dumps(BODY, ensure_ascii=False).encode()
        # the baseline writes the same case item as the app, keyed by hand
        case = {"PK": "CASE#K7M4-QX9P", "SK": "CASE", **service.new_case(
            "K7M4-QX9P", {**BODY, "anonymous": False, "website": None}, "k", "h",
            time.time()).to_plain()}

        def bare() -> None:
            item = {**case, "PK": f"CASE#{uuid.uuid4().hex}"}
            client.put_item(TableName="bench", Item=to_item(item),
                            ConditionExpression="attribute_not_exists(PK)")

        contact = {"PK": "PII#K7M4-QX9P", "SK": "PII", **BODY["contact"], "unit": "1502", "ttl": 1}

        def bare_transaction() -> None:
            pk = f"CASE#{uuid.uuid4().hex}"
            client.transact_write_items(TransactItems=[
                {"Update": {"TableName": "bench", "Key": to_item({"PK": "RATE#x", "SK": "W#1"}),
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": to_item({":one": 1})}},
                {"Put": {"TableName": "bench", "Item": to_item({**case, "PK": pk}),
                         "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Put": {"TableName": "bench", "Item": to_item({**contact, "PK": "PII#" + pk[5:]})}},
            ])

        with Client(app) as api:
            def post() -> None:
                r = api.http.post("/suggestions", body=raw, headers={
                    "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
                assert r.status_code == 201, r.body

            cases = {"bare put_item": bare, "bare transaction (same 3 writes)": bare_transaction,
                     "POST /suggestions": post}
            results: dict[str, list[float]] = {name: [] for name in cases}
            for fn in cases.values():  # warm-up
                for _ in range(200):
                    fn()
            for _ in range(args.n // 100):  # interleave so drift hits both alike
                for name, fn in cases.items():
                    for _ in range(100):
                        t = time.perf_counter()
                        fn()
                        results[name].append(time.perf_counter() - t)
    finally:
        devstack.stop(db)

    base = import_time("import boto3, chalice.app", args.imports)
    app_import = import_time("import app", args.imports)
    bare_p50, post_p50 = pct(results["bare put_item"], 0.5), pct(results["POST /suggestions"], 0.5)
    print("\n| case | requests | p50 (ms) | p99 (ms) |\n| --- | ---: | ---: | ---: |")
    for name, xs in results.items():
        print(f"| {name} | {len(xs):,} | {pct(xs, 0.5):.2f} | {pct(xs, 0.99):.2f} |")
    print("\n| cold import | median (ms) |\n| --- | ---: |")
    print(f"| boto3 + chalice | {base:.0f} |\n| app (api/app.py) | {app_import:.0f} |")
    ok_post, ok_import = post_p50 <= 1.3 * bare_p50, app_import <= 1.15 * base
    print("\n| target | measured | holds |\n| --- | ---: | --- |")
    print(f"| p50 POST / p50 put_item <= 1.3 | {post_p50 / bare_p50:.2f} | "
          f"{'yes' if ok_post else 'NO'} |")
    tx_p50 = pct(results["bare transaction (same 3 writes)"], 0.5)
    print(f"| (p50 POST / p50 bare transaction: the app's own overhead) | {post_p50 / tx_p50:.2f} | |")
    print(f"| import app / import boto3+chalice <= 1.15 | {app_import / base:.2f} | "
          f"{'yes' if ok_import else 'NO'} |")
    return 0 if ok_post and ok_import else 1


if __name__ == "__main__":
    raise SystemExit(main())
