"""Staff work through a seeded table with `portal-cases` and publish the month's summary."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import MESSAGE, Clock
from portal_contracts.files import as_data, check_month_summary
from portal_domain.cases import CaseService
from portal_domain.figures import summarise
from portal_staff.cases import main


@pytest.fixture
def seeded(service: CaseService, clock: Clock) -> list[str]:
    """Four cases of November 2026 at different stages of the handling loop."""
    receipts = []
    for i, (kind, category) in enumerate([("complaint", "noise"), ("service_request", "repairs"),
                                          ("suggestion", "greening"), ("praise", "cleaning")]):
        body = {**MESSAGE, "kind": kind, "category": category, "subject": f"事项{i}"}
        receipts.append(service.submit(body, f"seed-key-{i}", "10.0.0.9")[1]["receipt"])
        clock.now += 3600
    a, b, _, _ = receipts
    service.assign(a, 2, "工程部")                      # 1 h after the last submission
    clock.now += 3600
    service.set_status(a, "resolved", "已处理。")
    service.follow_up(a, "电话回访，业主满意")
    service.feedback(a, {"rating": 5, "comment": "很好"})
    service.assign(b, 1, "工程部")
    service.set_status(b, "resolved", "已修好。")
    service.feedback(b, {"rating": 3})
    return receipts


def run(service: CaseService, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--table", service.store.table, "--endpoint",
                 service.store.client.meta.endpoint_url, *args], out=out,
                now=datetime(2026, 12, 1, 9, 0))
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def staff_environment(local_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEIPT_SECRET", "test-secret")


def test_list_filters_by_status(service: CaseService, seeded: list[str]) -> None:
    code, out = run(service, "list", "--month", "2026-11", "--status", "received")
    assert code == 0
    assert seeded[2] in out and seeded[3] in out and seeded[0] not in out
    assert out.strip().endswith("2 case(s)")


def test_show_includes_private_contact_for_staff(service: CaseService, seeded: list[str]) -> None:
    code, out = run(service, "show", seeded[0])
    assert code == 0
    assert "contact.phone  138 0000 1234" in out and "contact.unit   1502" in out
    assert "timeline       " in out and "resolved 已处理。" in out


def test_reply_with_a_forbidden_phrase_is_refused(service: CaseService, seeded: list[str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(service, "status", seeded[2], "closed", "--reply", "这不归我们管，请找街道。")
    assert code == 1
    assert "不归我们管" in capsys.readouterr().err
    assert service.public_view(seeded[2])["status"] == "received"
    code, _ = run(service, "status", seeded[2], "in_progress", "--reply", "已转绿化班组，本周内答复。")
    assert code == 0 and service.public_view(seeded[2])["reply"] == "已转绿化班组，本周内答复。"


def test_unknown_receipt_exits_2(service: CaseService, seeded: list[str]) -> None:
    assert run(service, "show", "K7M4-QX9P")[0] == 2


def test_export_csv_opens_in_excel_and_hides_contact_by_default(
        service: CaseService, seeded: list[str], tmp_path: Path) -> None:
    path = tmp_path / "nov.csv"
    assert run(service, "export", "--month", "2026-11", "--out", str(path))[0] == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["receipt"] for r in rows] == seeded
    assert "phone" not in rows[0] and rows[0]["rating"] == "5"
    run(service, "export", "--month", "2026-11", "--out", str(path), "--with-contact")
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert rows[0]["phone"] == "138 0000 1234"


def test_formula_like_text_is_neutralised_in_the_export(service: CaseService, tmp_path: Path) -> None:
    receipt = service.submit({**MESSAGE, "subject": "=HYPERLINK(\"x\")"}, "formula-key", "10.0.0.8")[1]
    path = tmp_path / "x.csv"
    run(service, "export", "--month", "2026-11", "--out", str(path))
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert rows[0]["receipt"] == receipt["receipt"] and rows[0]["subject"].startswith("'=")


def test_monthly_summary_is_written_for_the_portal(service: CaseService, seeded: list[str],
                                                   tmp_path: Path) -> None:
    code, out = run(service, "summary", "--month", "2026-11", "--content", str(tmp_path))
    path = tmp_path / "reports" / "suggestions" / "2026-11.yml"
    assert code == 0 and out.strip() == str(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["received"] == 4 and data["resolved"] == 2
    assert data["by_kind"] == {"complaint": 1, "suggestion": 1, "praise": 1, "service_request": 1}
    assert data["by_grade"] == {1: 1, 2: 1}
    assert data["followup_rate_pct"] == 50.0
    assert data["satisfied_pct"] == 50.0 and data["mean_rating"] == 4.0
    # the first reply the owner reads counts, not the assignment: complaint sent at 0 h,
    # assigned at 4 h, answered at 5 h; repair sent at 1 h, answered at 5 h
    assert data["median_hours_to_first_response"] == 4.5
    assert data["followups"] == 1 and data["followup_satisfied_pct"] == 100.0
    text = path.read_text(encoding="utf-8")
    for private in ("138 0000 1234", "1502", "王阿姨", "事项"):
        assert private not in text


def test_summary_of_an_empty_month() -> None:
    data = summarise("2026-01", [], 1_795_400_000.0, date(2026, 2, 1))
    assert data.received == 0 and data.satisfied_pct is None
    assert check_month_summary(as_data(data)) == data  # what the portal reads back


def test_the_portal_publishes_the_summary(service: CaseService, seeded: list[str], tmp_path: Path,
                                          fixture_site: Any) -> None:
    run(service, "summary", "--month", "2026-11", "--content", str(tmp_path / "out"))
    text = (tmp_path / "out/reports/suggestions/2026-11.yml").read_text(encoding="utf-8")
    site = fixture_site({"reports/suggestions/2026-11.yml": text}, now="2026-12-02T09:00:00")
    html = site.page("suggestions/reports/")
    assert "2026-11 处理情况" in html
    assert "<th scope=\"row\">回访率</th><td>50.0 %</td>" in html
    assert "138 0000 1234" not in html and "王阿姨" not in html


def test_a_summary_that_does_not_add_up_fails_the_build(fixture_site: Any) -> None:
    from conftest import BuildFailed

    bad = ("month: 2026-11\npublished: '2026-12-01'\nreceived: 5\nby_kind: {complaint: 3}\n"
           "by_category: {}\nby_grade: {}\nresolved: 1\n")
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/suggestions/2026-11.yml": bad})
    assert ("  content/reports/suggestions/2026-11.yml: by_kind: expected counts adding up to "
            "'received' (5), found 3") in str(caught.value).splitlines()


def test_every_command_the_readme_shows_parses_to_its_function() -> None:
    """The README's usage keeps working: each documented line reaches one sub-command's
    function (argparse sub-commands, set_defaults(func=...))."""
    import shlex

    from conftest import ROOT
    from portal_staff import cases, surveys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tools = {"portal-cases": cases.parser(datetime(2026, 12, 1)), "portal-surveys": surveys.parser()}
    seen: dict[str, set[str]] = {name: set() for name in tools}
    for line in readme.splitlines():
        tool = line.split(" ")[0].removeprefix(".venv/bin/")
        if tool not in tools:
            continue
        words = shlex.split(line.split(" # ")[0].split("  #")[0])
        args = tools[tool].parse_args(words[1:])
        assert callable(args.func) and args.func.__module__ == f"portal_staff.{tool[7:]}"
        seen[tool].add(args.command)
    assert seen == {"portal-cases": {"list", "show", "assign", "status", "followup", "close",
                                     "export", "summary"},
                    "portal-surveys": {"codes", "results", "publish"}}
