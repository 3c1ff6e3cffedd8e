"""No silent corrections: a published figure changes only with a corrections entry, which the
page, the CSV and the feed show."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from test_decisions import decision, files
from test_public_income import ledger_h1, ledger_h2
from test_public_income import site_files as ledger_files
from test_reports import H1, cells, dump, with_

from conftest import ROOT, BuildFailed, BuildFixture, Site

D = Decimal
R = "content/reports/2026-H1.yml"
FIX = {"date": "2026-08-05", "field": "income.parking", "old": D("21000.00"), "new": D("21500.00"),
       "reason": "漏记 6 月访客停车收入 500 元。"}


def corrected_h1(**fix: Any) -> dict[str, Any]:
    data = with_(H1, "income.parking", D("21500.00"))
    data = with_(data, "income.total", D("203300.00"))
    data["corrections"] = [{**FIX, **fix}, {**FIX, "field": "income.total", "old": D("202800.00"),
                                             "new": D("203300.00")}]
    return data


def snapshot_of(site: Site, section: str) -> str:
    return (site.root / "published" / f"{section}.json").read_text(encoding="utf-8")


@pytest.fixture
def published(fixture_site: BuildFixture) -> str:
    """The snapshot a build of the report as first published writes."""
    return snapshot_of(fixture_site({"reports/2026-H1.yml": dump(H1)}), "reports")


def test_the_build_writes_what_was_published(published: str) -> None:
    figures = json.loads(published)[R]
    assert figures["income.parking"] == "21000.00"
    assert figures["maintenance_fund.closing_balance"] == "453950.00"


def test_a_changed_figure_without_a_correction_is_refused(fixture_site: BuildFixture,
                                                          published: str) -> None:
    data = with_(with_(H1, "income.parking", D("21500.00")), "income.total", D("203300.00"))
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data), "published/reports.json": published})
    lines = str(caught.value).splitlines()
    assert (f"  {R}: income.parking: expected 21000.00 as published, or a corrections entry (date, "
            "field, old, new, reason) with field income.parking, old 21000.00 and new 21500.00, "
            "found 21500.00") in lines
    assert len(lines) == 3  # income.parking and income.total


def test_a_removed_figure_needs_a_correction_too(fixture_site: BuildFixture, published: str) -> None:
    data = with_(H1, "maintenance_fund.closing_balance", D("483950.00"))
    del data["maintenance_fund"]["spending"][1]  # the 30,000.00 roof, taken out
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data), "published/reports.json": published})
    assert (f"  {R}: maintenance_fund.spending.1.amount: expected 30000.00 as published, or a "
            "corrections entry (date, field, old, new, reason) with field "
            "maintenance_fund.spending.1.amount, old 30000.00 and new —, found —") \
        in str(caught.value).splitlines()


def test_a_correction_must_say_the_figure_now_published(fixture_site: BuildFixture,
                                                        published: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(corrected_h1(new=D("21600.00"))),
                      "published/reports.json": published})
    lines = str(caught.value).splitlines()
    assert f"  {R}: corrections.0.new: expected the figure now in income.parking (21500.00), " \
        "found '21600.00'" in lines


@pytest.fixture
def corrected(fixture_site: BuildFixture, published: str) -> Site:
    return fixture_site({"reports/2026-H1.yml": dump(corrected_h1()),
                         "published/reports.json": published})


def test_the_page_shows_the_correction(corrected: Site) -> None:
    rows = cells(corrected.page("reports/2026-H1/"), "corrections-table")
    assert rows[1] == ["2026-08-05", "income.parking", "21000.00", "21500.00",
                       "漏记 6 月访客停车收入 500 元。"]
    assert 'href="../corrections.xml"' in corrected.page("reports/2026-H1/")


def test_the_csv_carries_the_correction(corrected: Site) -> None:
    raw = (corrected.root / "reports/2026-H1/2026-H1.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert ["更正记录", "income.parking", "21000.00 → 21500.00", "漏记 6 月访客停车收入 500 元。",
            "2026-08-05", "", ""] in rows


def test_the_feed_carries_the_correction(corrected: Site) -> None:
    atom = (corrected.root / "reports/corrections.xml").read_text(encoding="utf-8")
    assert "<title>2026年上半年财务公开：income.parking 21000.00 → 21500.00</title>" in atom
    assert "reports/2026-H1/" in atom


def test_a_correction_is_kept_once_the_snapshot_is_renewed(fixture_site: BuildFixture,
                                                           corrected: Site) -> None:
    site = fixture_site({"reports/2026-H1.yml": dump(corrected_h1()),
                         "published/reports.json": snapshot_of(corrected, "reports")})
    assert json.loads(snapshot_of(site, "reports"))[R]["income.parking"] == "21500.00"


def test_decisions_and_ledgers_are_held_to_what_was_published(fixture_site: BuildFixture) -> None:
    first = fixture_site(ledger_files())
    snap = {f"published/{s}.json": snapshot_of(first, s) for s in ("decisions", "public-income")}
    h2 = with_(ledger_h2(), "uses.0.amount", D("600.00"))
    h2 = with_(h2, "closing_balance", D("22900.45"))
    h1 = with_(ledger_h1(), "opening_balance", D("22900.45"))
    h1 = with_(h1, "closing_balance", D("10900.45"))
    out = {**ledger_files(h2, h1), **snap}
    out["decisions/roof.yml"] = dump(decision(**{"votes.against.owners": 21,
                                                 "votes.abstain.owners": 9}))
    with pytest.raises(BuildFailed) as caught:
        fixture_site(out)
    lines = str(caught.value).splitlines()
    assert ("  content/public-income/2025-H2.yml: uses.0.amount: expected 500.00 as published, or a "
            "corrections entry (date, field, old, new, reason) with field uses.0.amount, old 500.00 "
            "and new 600.00, found 600.00") in lines
    assert ("  content/decisions/roof.yml: votes.against.owners: expected 20 as published, or a "
            "corrections entry (date, field, old, new, reason) with field votes.against.owners, old "
            "20 and new 21, found 21") in lines


def test_example_correction_on_the_page_in_the_csv_and_the_feed(example_site: Site) -> None:
    rows = cells(example_site.page("reports/2026-H1/"), "corrections-table")
    assert rows[1][:4] == ["2026-08-05", "maintenance_fund.closing_balance", "4397859.90",
                           "4457859.90"]
    csv_text = (example_site.root / "reports/2026-H1/2026-H1.csv").read_bytes().decode("utf-8-sig")
    assert "4397859.90 → 4457859.90" in csv_text
    assert "maintenance_fund.closing_balance 4397859.90 → 4457859.90" in \
        (example_site.root / "reports/corrections.xml").read_text(encoding="utf-8")
    committed = json.loads((ROOT / "content/published/reports.json").read_text(encoding="utf-8"))
    assert committed[R]["maintenance_fund.closing_balance"] == "4397859.90"


def test_every_section_writes_its_snapshot(fixture_site: BuildFixture) -> None:
    site = fixture_site(files(roof=decision()))
    assert set(json.loads(snapshot_of(site, "decisions"))) == {"content/decisions/roof.yml"}
