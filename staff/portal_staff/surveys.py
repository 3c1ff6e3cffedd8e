"""`portal-surveys`: one-time codes, results and publishing, straight against the table.

    portal-surveys codes   --survey 2026-satisfaction -n 1206 --out codes.html
    portal-surveys results --survey 2026-satisfaction [--recount]
    portal-surveys publish --survey 2026-satisfaction    # writes content/reports/surveys/<id>.yml

TABLE_NAME / DYNAMODB_ENDPOINT (or --table / --endpoint) as for portal-cases. Exit codes:
0 done, 1 counters differ from the recount or bad input, 3 database unreachable.

The definitions are read as the build reads them (portal_contracts.surveys with the site's
YAML reader); `bundle()` writes them for the API (the local stack and the deploy run it).
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
from portal_contracts.files import SurveyResults, TextAnswer, as_data
from portal_contracts.surveys import Survey, read_definitions, write_bundle
from portal_domain.errors import ApiError, Invalid, Unavailable
from portal_domain.settings import Settings
from portal_domain.store import Store, staff_client
from portal_domain.surveys import SurveyService


def definitions(content: Path) -> dict[str, Survey]:
    """content/surveys/*.yml, checked as the build checks them; ContentInvalid lists every
    problem."""
    loader = Loader(content)
    found = read_definitions(content / "surveys", loader)
    if loader.errors:
        raise ContentInvalid(loader.errors)
    return {sid: survey for sid, (survey, _) in found.items()}


def bundle(content: Path, target: Path) -> dict[str, Any]:
    """Write the definitions the API validates answers against (before `chalice local` or
    packaging); return what was written."""
    return write_bundle(definitions(content), target)


def service_for(args: argparse.Namespace) -> SurveyService:
    table = args.table or os.environ.get("TABLE_NAME")
    if not table:
        raise SystemExit("portal-surveys: give --table or set TABLE_NAME")
    return SurveyService(Store(table, staff_client(args.endpoint)), Settings.from_env(),
                         definitions(args.content))


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
    args = parser().parse_args(argv)
    args.out_stream, args.today = out or sys.stdout, today or date.today()
    try:
        service = service_for(args)
        return int(args.func(args, service, service.survey(args.survey)))
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except Unavailable:
        print("portal-surveys: the table cannot be reached; nothing was changed", file=sys.stderr)
        return 3
    except (ApiError, Invalid) as exc:
        print(f"portal-surveys: {exc.message}", file=sys.stderr)
        return 1


def parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per task, each with its function (`func`)."""
    parser = argparse.ArgumentParser(prog="portal-surveys", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--table", help="DynamoDB table (default: $TABLE_NAME)")
    parser.add_argument("--endpoint", help="DynamoDB endpoint, e.g. http://127.0.0.1:8001 locally")
    parser.add_argument("--content", type=Path, default=Path("content"),
                        help="the content folder with surveys/ (default: content)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("codes", help="issue one-time codes and write a printable sheet")
    p.add_argument("--survey", required=True)
    p.add_argument("-n", type=int, required=True, help="how many codes (1 to 20000)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--site-url", default="https://portal.jinguiyuan.example.cn/")
    p.set_defaults(func=codes)
    p = sub.add_parser("results", help="print the counters; --recount checks them")
    p.add_argument("--survey", required=True)
    p.add_argument("--recount", action="store_true")
    p.set_defaults(func=results)
    p = sub.add_parser("publish", help="write the results file the portal publishes")
    p.add_argument("--survey", required=True)
    p.set_defaults(func=publish)
    return parser


def codes(args: argparse.Namespace, service: SurveyService, survey: Survey) -> int:
    if not 1 <= args.n <= 20000:
        print("portal-surveys: -n must be from 1 to 20000", file=sys.stderr)
        return 1
    issued = service.issue_codes(survey.id, args.n)
    url = args.site_url.rstrip("/") + f"/surveys/{survey.id}/"
    args.out.write_text(code_sheet(survey.title, url, issued), encoding="utf-8")
    args.out_stream.write(f"{len(issued)} codes issued for {survey.id}; sheet: {args.out}\n")
    args.out_stream.write("Only hashes are stored: this sheet is the only copy of the codes.\n")
    return 0


def results(args: argparse.Namespace, service: SurveyService, survey: Survey) -> int:
    out, counters = args.out_stream, service.counters(survey.id)
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


def publish(args: argparse.Namespace, service: SurveyService, survey: Survey) -> int:
    """content/reports/surveys/<id>.yml: the counters and the text answers, none published
    until staff set publish: true on a comment."""
    counters = service.counters(survey.id)
    texts = sorted({(qid, str(a).strip()) for r in service.responses(survey.id)
                    for qid, a in r["answers"].items()
                    if (q := survey.question(qid)) is not None and q.kind == "text" and a})
    record = SurveyResults(survey.id, args.today, counters.get("n", 0), dict(sorted(
        counters.items())), tuple(TextAnswer(q, t) for q, t in texts))
    path = args.content / "reports" / "surveys" / f"{survey.id}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by portal-surveys publish. Set publish: true on the comments that\n"
                    "# may be shown (no names, phones or units); the others stay private.\n"
                    + yaml.safe_dump(as_data(record), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    args.out_stream.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
