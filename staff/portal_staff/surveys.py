"""`portal-surveys`: one-time codes, results and publishing, straight against the table.

    portal-surveys codes   --survey 2026-satisfaction -n 1206 --out codes.html
    portal-surveys results --survey 2026-satisfaction [--recount]
    portal-surveys publish --survey 2026-satisfaction    # writes content/reports/surveys/<id>.yml

TABLE_NAME / DYNAMODB_ENDPOINT (or --table / --endpoint) as for portal-cases. Exit codes:
0 done, 1 counters differ from the recount or bad input, 3 database unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from markupsafe import escape

from portal.common import qr_svg
from portal.content import Loader
from portal.errors import ContentInvalid
from portal.features.surveys import load_definitions
from portal_domain.errors import ApiError, Invalid, Unavailable
from portal_domain.settings import Settings
from portal_domain.store import Store, staff_client
from portal_domain.surveys import SurveyService


def service_for(args: argparse.Namespace) -> SurveyService:
    table = args.table or os.environ.get("TABLE_NAME")
    if not table:
        raise SystemExit("portal-surveys: give --table or set TABLE_NAME")
    loader = Loader(args.content)
    found = load_definitions(args.content / "surveys", loader)
    if loader.errors:
        raise ContentInvalid(loader.errors)
    client = staff_client(args.endpoint)
    return SurveyService(Store(table, client), Settings.from_env(),
                         {sid: s for sid, (s, _) in found.items()})


def code_sheet(title: str, url: str, codes: list[str]) -> str:
    """A printable A4 sheet: one cut-out card per household with its code and a QR code."""
    cards = "".join(
        f'<div class="card"><p class="t">{escape(title)}</p>{qr_svg(f"{url}?code={c}")}'
        f'<p class="c">{c}</p><p class="u">{escape(url)}</p></div>' for c in codes)
    return ("<!doctype html><html lang=\"zh\"><meta charset=\"utf-8\"><title>问卷码</title><style>"
            "@page{size:A4;margin:10mm}body{font-family:sans-serif;margin:0}"
            ".grid{display:grid;grid-template-columns:repeat(3,1fr);gap:4mm}"
            ".card{border:1px dashed #999;padding:3mm;text-align:center;break-inside:avoid}"
            ".t{font-size:9pt;margin:0}.c{font:700 14pt monospace;margin:1mm 0}.u{font-size:6pt;margin:0}"
            f"</style><div class=\"grid\">{cards}</div></html>")


def main(argv: list[str] | None = None, out: Any = None, today: date | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="portal-surveys", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--table")
    parser.add_argument("--endpoint")
    parser.add_argument("--content", type=Path, default=Path("content"))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("codes", help="issue one-time codes and write a printable sheet")
    p.add_argument("--survey", required=True)
    p.add_argument("-n", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--site-url", default="https://portal.jinguiyuan.example.cn/")
    p = sub.add_parser("results", help="print the counters; --recount checks them")
    p.add_argument("--survey", required=True)
    p.add_argument("--recount", action="store_true")
    p = sub.add_parser("publish", help="write the results file the portal publishes")
    p.add_argument("--survey", required=True)
    args = parser.parse_args(argv)
    try:
        service = service_for(args)
        return _run(args, service, out, today or date.today())
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except Unavailable:
        print("portal-surveys: the table cannot be reached; nothing was changed", file=sys.stderr)
        return 3
    except (ApiError, Invalid) as exc:
        print(f"portal-surveys: {exc.message}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, service: SurveyService, out: Any, today: date) -> int:
    survey = service.survey(args.survey)
    if args.command == "codes":
        if not 1 <= args.n <= 20000:
            print("portal-surveys: -n must be from 1 to 20000", file=sys.stderr)
            return 1
        codes = service.issue_codes(survey.id, args.n)
        url = args.site_url.rstrip("/") + f"/surveys/{survey.id}/"
        args.out.write_text(code_sheet(survey.title, url, codes), encoding="utf-8")
        out.write(f"{len(codes)} codes issued for {survey.id}; sheet: {args.out}\n")
        out.write("Only hashes are stored: this sheet is the only copy of the codes.\n")
        return 0
    counters = service.counters(survey.id)
    if args.command == "results":
        out.write(f"{survey.title}: {counters.get('n', 0)} responses of {survey.households} "
                  f"households\n")
        for q in survey.questions:
            if q.kind == "text":
                continue
            parts = [f"{v}:{counters.get(f'q:{q.id}:{v}', 0)}" for v in q.values()]
            out.write(f"  {q.id:16} {counters.get(f'a:{q.id}', 0):5}  {' '.join(parts)}\n")
        if args.recount:
            recount = service.recount(survey.id)
            diff = sorted(k for k in set(counters) | set(recount)
                          if counters.get(k, 0) != recount.get(k, 0))
            if diff:
                out.write(f"counters differ from the recount: {', '.join(diff[:10])}\n")
                return 1
            out.write(f"recount of {recount.get('n', 0)} stored responses agrees with the "
                      "counters\n")
        return 0
    texts = sorted({(qid, str(a).strip()) for r in service.responses(survey.id)
                    for qid, a in r["answers"].items()
                    if (found := survey.question(qid)) is not None and found.kind == "text" and a})
    data = {"survey": survey.id, "published": today.isoformat(),
            "responses": counters.get("n", 0), "counters": dict(sorted(counters.items())),
            "texts": [{"question": q, "text": t, "publish": False} for q, t in texts]}
    path = args.content / "reports" / "surveys" / f"{survey.id}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by portal-surveys publish. Set publish: true on the comments that\n"
                    "# may be shown (no names, phones or units); the others stay private.\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
