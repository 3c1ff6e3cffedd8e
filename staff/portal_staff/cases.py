"""`portal-cases`: the staff's tool for owners' messages, straight against the table.

Staff use their own AWS credentials (IAM); the public API has no staff endpoints. Set
TABLE_NAME (and DYNAMODB_ENDPOINT for DynamoDB Local) or pass --table / --endpoint.

    portal-cases list --month 2026-11 --status received
    portal-cases show K7M4-QX9P                 # with the private contact details
    portal-cases assign K7M4-QX9P --grade 2 --department 工程部
    portal-cases status K7M4-QX9P in_progress --reply "已安排师傅明早上门。"
    portal-cases followup K7M4-QX9P --result satisfied --note "电话回访，业主满意"
    portal-cases close K7M4-QX9P                # only after a satisfied follow-up
    portal-cases export --month 2026-11 --out 2026-11.csv
    portal-cases summary --month 2026-11        # writes content/reports/suggestions/2026-11.yml

Exit codes: 0 done, 1 refused (bad input, forbidden phrase), 2 not found, 3 database unreachable.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from portal_contracts import messages as schema
from portal_contracts.clock import local_month, local_time
from portal_contracts.files import as_data
from portal_contracts.messages import GRADES
from portal_domain.cases import CaseService
from portal_domain.errors import ApiError, Invalid, NotFound, Unavailable
from portal_domain.figures import summarise
from portal_domain.model import export_columns
from portal_domain.settings import Settings
from portal_domain.store import CONTACT_FIELDS, Store, staff_client


def _service(args: argparse.Namespace) -> CaseService:
    table = args.table or os.environ.get("TABLE_NAME")
    if not table:
        raise SystemExit("portal-cases: give --table or set TABLE_NAME")
    client = staff_client(args.endpoint)
    return CaseService(Store(table, client), Settings.from_env())


def _print_table(rows: list[list[str]], out: Any) -> None:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
                  .rstrip() + "\n")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _clean(text: Any) -> str:
    """Owner text shown in a terminal: no control characters (no escape sequences)."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text))


def main(argv: list[str] | None = None, out: Any = None, now: datetime | None = None) -> int:
    out = out or sys.stdout
    args = parser(now or datetime.now(UTC)).parse_args(argv)
    args.out_stream, args.now = out, now or datetime.now()
    try:
        service = _service(args)
        return int(args.func(args, service) or 0)
    except NotFound as exc:
        print(f"portal-cases: {exc.message}", file=sys.stderr)
        return 2
    except Unavailable:
        print("portal-cases: the table cannot be reached (credentials, network or throttling); "
              "nothing was changed", file=sys.stderr)
        return 3
    except (ApiError, Invalid) as exc:
        print(f"portal-cases: {exc.field or ''}: {exc.message}", file=sys.stderr)
        return 1


def parser(now: datetime) -> argparse.ArgumentParser:
    """The command line: one sub-command per task, each with its function (`func`)."""
    parser = argparse.ArgumentParser(prog="portal-cases", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--table", help="DynamoDB table (default: $TABLE_NAME)")
    parser.add_argument("--endpoint", help="DynamoDB endpoint, e.g. http://127.0.0.1:8001 locally")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="cases of a month, newest last")
    p.add_argument("--month", default=local_month(now.timestamp()),
                   help="yyyy-mm in Beijing time (default: this month)")
    p.add_argument("--status", choices=schema.STATUSES)
    p.add_argument("--kind", choices=list(schema.KINDS))
    p.set_defaults(func=list_cases)
    p = sub.add_parser("show", help="one case with its private contact details")
    p.add_argument("receipt")
    p.set_defaults(func=show)
    p = sub.add_parser("assign", help="grade a case (1-4) and give it to a department")
    p.add_argument("receipt")
    p.add_argument("--grade", type=int, choices=sorted(GRADES))
    p.add_argument("--department")
    p.add_argument("--person", help="the one accountable person")
    p.set_defaults(func=assign)
    p = sub.add_parser("status", help="move a case on, with a reply the owner will read")
    p.add_argument("receipt")
    p.add_argument("status", choices=schema.STATUSES)
    p.add_argument("--reply", default="")
    p.set_defaults(func=status)
    p = sub.add_parser("followup", help="record the follow-up call (回访) after resolution")
    p.add_argument("receipt")
    p.add_argument("--result", choices=list(schema.FOLLOWUP_RESULTS), default="satisfied",
                   help="dissatisfied reopens the case; unreachable needs --retry-at")
    p.add_argument("--retry-at", help="when to call again, e.g. 2026-11-24T09:30 (Beijing time)")
    p.add_argument("--note", default="")
    p.set_defaults(func=followup)
    p = sub.add_parser("close", help="归档 a resolved case after a satisfied follow-up")
    p.add_argument("receipt")
    p.set_defaults(func=close)
    p = sub.add_parser("export", help="CSV of a month's cases (UTF-8 with BOM, for Excel)")
    p.add_argument("--month", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--with-contact", action="store_true", help="include private contact details")
    p.set_defaults(func=export)
    p = sub.add_parser("summary", help="write the month's summary for the portal to publish")
    p.add_argument("--month", required=True)
    p.add_argument("--content", type=Path, default=Path("content"))
    p.set_defaults(func=summary)
    return parser


def _by() -> str:
    """Who made a change: recorded with it, never shown to owners."""
    return "cli:" + getpass.getuser()


def list_cases(args: argparse.Namespace, service: CaseService) -> int:
    cases = [c for c in service.month(args.month)
             if (not args.status or c.status == args.status)
             and (not args.kind or c.kind == args.kind)]
    rows = [["receipt", "created", "kind", "category", "status", "grade", "department",
             "subject"]]
    rows += [[c.receipt, local_time(c.created_at), schema.KINDS.get(c.kind, c.kind),
              schema.CATEGORIES.get(c.category, c.category), c.status, str(c.grade or ""),
              _clean(c.department or ""), _clean(c.subject)[:30]] for c in cases]
    _print_table(rows, args.out_stream)
    args.out_stream.write(f"{len(cases)} case(s)\n")
    return 0


def show(args: argparse.Namespace, service: CaseService) -> int:
    """Every field of the staff's view (Case.staff_view), then the contact, then the timeline."""
    case = service.get(args.receipt)
    out = args.out_stream
    for key, value in case.staff_view(service.clock()).items():
        if isinstance(value, list | dict) or value is None or value == "":
            continue  # records are listed below; empty fields say nothing
        if key.endswith("_at") or key == "respond_by":
            value = local_time(value) + " (北京时间)"
        out.write(f"{key:14} {_clean(value)}\n")
    for key, value in service.contact(case).items():
        out.write(f"{'contact.' + key:14} {_clean(value)}\n")
    for f in case.followups:
        out.write(f"{'followup':14} {f.at} {f.result} {_clean(f.note)}\n")
    for t in case.timeline:
        out.write(f"{'timeline':14} {t.at} {t.status} {_clean(t.note)}\n")
    return 0


def assign(args: argparse.Namespace, service: CaseService) -> int:
    c = service.assign(args.receipt, args.grade, args.department, by=_by(), assignee=args.person)
    args.out_stream.write(f"{c.receipt}: grade {c.grade or '-'}, {c.department or '-'}, "
                          f"{c.status}\n")
    return 0


def status(args: argparse.Namespace, service: CaseService) -> int:
    c = service.set_status(args.receipt, args.status, args.reply, by=_by())
    args.out_stream.write(f"{c.receipt}: {c.status}\n")
    return 0


def followup(args: argparse.Namespace, service: CaseService) -> int:
    c = service.follow_up(args.receipt, args.note, args.result, by=_by(), retry_at=args.retry_at)
    args.out_stream.write(f"{c.receipt}: follow-up {args.result}, {c.status}\n")
    return 0


def close(args: argparse.Namespace, service: CaseService) -> int:
    c = service.close(args.receipt, _by())
    args.out_stream.write(f"{c.receipt}: {c.status}\n")
    return 0


def export(args: argparse.Namespace, service: CaseService) -> int:
    """The columns are the Case's export fields (model.export_columns), then the contact."""
    cases = service.month(args.month)
    columns = export_columns() + (list(CONTACT_FIELDS) if args.with_contact else [])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for c in cases:
        row = c.export_row()
        if args.with_contact:
            row.update(service.contact(c))
        w.writerow({k: _spreadsheet_safe(row.get(k, "")) for k in columns})
    args.out.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    args.out_stream.write(f"{len(cases)} case(s) written to {args.out}\n")
    return 0


def summary(args: argparse.Namespace, service: CaseService) -> int:
    figures = summarise(args.month, service.month(args.month), service.clock(), args.now.date())
    path = args.content / "reports" / "suggestions" / f"{args.month}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by portal-cases summary; published by the portal.\n"
                    + yaml.safe_dump(as_data(figures), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    args.out_stream.write(f"{path}\n")
    return 0


def _spreadsheet_safe(value: Any) -> str:
    """Owners' text must not run as a formula when staff open the CSV in Excel."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


if __name__ == "__main__":
    raise SystemExit(main())
