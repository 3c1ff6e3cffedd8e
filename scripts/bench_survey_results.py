"""Benchmark: reading survey results from the counters against recounting every response.

Stores 100 and then 100,000 responses of the example 2026 survey in DynamoDB Local
(random answers; the counters are written as the API's transaction writes them), then
times both ways of reading the results:

  counters  query the eight counter shards (what the staff tool and the portal use)
  recount   query every stored response and count (the check `portal-surveys results --recount`)

    .venv/bin/python scripts/bench_survey_results.py [--sizes 100 100000] [--repeat 5]

Prints a table; exits 0 when the counter read at the largest size costs no more than 3x
the counter read at the smallest (constant time) and agrees with the recount, else 1.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "api"))
sys.path.insert(0, str(ROOT / "site_src"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import boto3

    from portal_contracts import surveys
    from portal_domain.settings import Settings
    from portal_domain.store import SURVEY_SHARDS as SHARDS
    from portal_domain.store import Store, create_table, to_item
    from portal_domain.surveys import SurveyService
    from portal_staff import devstack

    survey = surveys.parse(yaml.safe_load(
        (ROOT / "content" / "surveys" / "2026-satisfaction.yml").read_text(encoding="utf-8")))
    port = devstack.free_port()
    db = devstack.start_dynamodb(port, None)
    rows = []
    try:
        client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                              region_name="ap-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x")
        rng = random.Random(7)
        for size in sorted(args.sizes):
            table = f"bench-{size}"
            create_table(client, table)
            service = SurveyService(Store(table, client), Settings(secret=b"b"),
                                    {survey.id: survey})

            def batch_put(items: list[dict[str, object]], table: str = table) -> None:
                """Seed answers as the store lays them out (raw writes: faster than
                one transaction per answer, and only the reads are measured)."""
                request = {table: [{"PutRequest": {"Item": to_item(i)}} for i in items]}
                while request:
                    request = client.batch_write_item(RequestItems=request).get(
                        "UnprocessedItems") or {}

            shards: list[Counter[str]] = [Counter() for _ in range(SHARDS)]
            batch = []
            t0 = time.perf_counter()
            for i in range(size):
                answers = {q.id: (rng.choice(q.values()) if q.kind == "single"
                                  else int(rng.choice(q.values())))
                           for q in survey.questions if q.kind in ("single", "rating",
                                                                    "importance", "nps")}
                shards[i % SHARDS].update(surveys.counted(survey, answers))
                batch.append({"PK": f"SURVEY#{survey.id}", "SK": f"RESP#{i:08d}",
                              "answers": answers, "day": "2026-11-23"})
                if len(batch) == 25:
                    batch_put(batch)
                    batch = []
            if batch:
                batch_put(batch)
            for n, counts in enumerate(shards):
                client.put_item(TableName=table, Item=to_item(
                    {"PK": f"SURVEY#{survey.id}", "SK": f"COUNT#{n}", **counts}))
            load = time.perf_counter() - t0

            def timed(fn: object) -> float:
                times = []
                for _ in range(args.repeat):
                    s = time.perf_counter()
                    fn()  # type: ignore[operator]
                    times.append(time.perf_counter() - s)
                return statistics.median(times) * 1000

            counter_ms = timed(lambda s=service: s.counters(survey.id))
            recount_ms = timed(lambda s=service: s.recount(survey.id))
            same = service.counters(survey.id) == service.recount(survey.id)
            rows.append((size, counter_ms, recount_ms, same, load))
            print(f"  {size:,} responses stored in {load:.1f} s", file=sys.stderr)
    finally:
        devstack.stop(db)

    print("\n| responses | counters (ms) | full recount (ms) | recount / counters | agree |")
    print("| ---: | ---: | ---: | ---: | --- |")
    for size, c, r, same, _ in rows:
        print(f"| {size:,} | {c:.1f} | {r:.1f} | {r / c:.0f}x | {'yes' if same else 'NO'} |")
    flat = rows[-1][1] <= 3 * rows[0][1]
    print(f"\ncounter read at {rows[-1][0]:,} / at {rows[0][0]:,}: "
          f"{rows[-1][1] / rows[0][1]:.2f} (constant: {'yes' if flat else 'NO'})")
    return 0 if flat and all(r[3] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
