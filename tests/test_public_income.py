"""公共收益 ledgers: to the cent, along the chain of periods, every use backed by a decision;
maintenance-fund spending that cites a decision."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from test_decisions import decision, files
from test_reports import H1, cells, dump, with_

from conftest import BuildFailed, BuildFixture, Site

D = Decimal
G1 = "content/public-income/2026-H1.yml"
G0 = "content/public-income/2025-H2.yml"


def ledger_h2() -> dict[str, Any]:
    return {
        "period": "2025-H2", "published": "2026-01-20", "opening_balance": D("1000.00"),
        "income": [{"source": "电梯轿厢广告", "counterparty": "广告公司", "amount": D("20000.00")},
                   {"source": "访客临时停车", "counterparty": "访客车辆", "amount": D("5000.50")}],
        "costs": [{"what": "代为经营管理成本", "basis": "协议第四条：收入的 10%", "amount": D("2500.05")}],
        "owners_share": D("22500.45"),
        "uses": [{"what": "业主大会会务费", "amount": D("500.00"),
                  "no_decision_because": "管理规约第二十五条"}],
        "closing_balance": D("23000.45"),
    }


def ledger_h1() -> dict[str, Any]:
    return {
        "period": "2026-H1", "published": "2026-07-20", "opening_balance": D("23000.45"),
        "income": [{"source": "电梯轿厢广告", "counterparty": "广告公司", "amount": D("20000.00")}],
        "costs": [{"what": "代为经营管理成本", "basis": "协议第四条：收入的 10%", "amount": D("2000.00")}],
        "owners_share": D("18000.00"),
        "uses": [{"what": "转入专项维修资金", "amount": D("30000.00"), "decision": "ads"}],
        "closing_balance": D("11000.45"),
    }


ADS = decision(**{"title": "电梯广告及收益用途", "item": 8, "buildings": None,
                  "votes": {"for": {"owners": 70, "area": "7000.00"},
                            "against": {"owners": 10, "area": "1000.00"},
                            "abstain": {"owners": 10, "area": "1000.00"}}})
FAILED = decision(**{"participation": {"owners": 70, "area": "7000.00"},
                     "votes": {"for": {"owners": 70, "area": "7000.00"},
                               "against": {"owners": 0, "area": 0},
                               "abstain": {"owners": 0, "area": 0}},
                     "result": "failed", "stages.effective": None})


def site_files(h2: dict[str, Any] | None = None, h1: dict[str, Any] | None = None,
               **decisions: dict[str, Any]) -> dict[str, str]:
    out = files(ads=ADS, failed=FAILED, roof=decision(), **decisions)
    out["public-income/2025-H2.yml"] = dump(h2 or ledger_h2())
    out["public-income/2026-H1.yml"] = dump(h1 or ledger_h1())
    return out


@pytest.fixture
def ledgers(fixture_site: BuildFixture) -> Site:
    return fixture_site(site_files())


def test_the_ledger_page_shows_income_costs_share_uses_and_the_balance(ledgers: Site) -> None:
    html = ledgers.page("public-income/2025-H2/")
    assert cells(html, "income-table")[1:] == [["电梯轿厢广告", "广告公司", "20,000.00"],
                                               ["访客临时停车", "访客车辆", "5,000.50"],
                                               ["合计", "", "25,000.50"]]
    assert cells(html, "costs-table")[1:] == [
        ["代为经营管理成本", "协议第四条：收入的 10%", "2,500.05"], ["合计", "", "2,500.05"],
        ["业主所得", "收入 − 合理成本", "22,500.45"]]
    assert cells(html, "uses-table")[1:] == [
        ["期初结余", "", "1,000.00"], ["加：本期业主所得", "", "22,500.45"],
        ["业主大会会务费", "无需表决：管理规约第二十五条", "−500.00"],
        ["期末结余", "结转下期", "23,000.45"]]


def test_a_use_links_its_decision(ledgers: Site) -> None:
    html = ledgers.page("public-income/2026-H1/")
    assert 'href="../../decisions/ads/"' in html


def test_the_index_lists_every_half_year_newest_first(ledgers: Site) -> None:
    rows = cells(ledgers.page("public-income/"), "ledgers-table")
    assert [r[0] for r in rows[1:]] == ["2026年上半年", "2025年下半年"]
    assert rows[2][1:] == ["1,000.00", "25,000.50", "2,500.05", "22,500.45", "500.00", "23,000.45"]


def test_the_csv_has_a_bom_and_the_figures(ledgers: Site) -> None:
    raw = (ledgers.root / "public-income/2025-H2/public-income-2025-H2.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["类别", "项目", "对方类别", "依据或说明", "业主共同决定", "金额（元）"]
    assert rows[-1] == ["期末结余", "", "", "", "", "23000.45"]
    assert ["合理成本", "代为经营管理成本", "", "协议第四条：收入的 10%", "", "2500.05"] in rows


@pytest.mark.parametrize(("h2", "h1", "message"), [
    (with_(ledger_h2(), "owners_share", D("22500.00")), None,
     f"{G0}: owners_share: expected 22,500.45 (income 25,000.50 − costs 2,500.05), found 22,500.00"),
    (with_(ledger_h2(), "closing_balance", D("23000.44")), None,
     f"{G0}: closing_balance: expected 23,000.45 (opening_balance 1,000.00 + income 25,000.50 − "
     "costs 2,500.05 − uses 500.00), found 23,000.44"),
    (None, with_(ledger_h1(), "opening_balance", D("23000.00")),
     f"{G1}: opening_balance: expected 23,000.45 (the closing_balance of {G0}), found 23,000.00"),
    (None, with_(ledger_h1(), "uses.0.decision", "failed"),
     f"{G1}: uses.0.decision: expected an owners' decision in content/decisions/ that met its "
     "thresholds and took effect by 2026-06-30, found 'failed' (content/decisions/failed.yml did not "
     "meet its thresholds: participation.area 7000.00 m² is not at least 2/3 of 12000.00 m²; "
     "participation.owners 70 is not at least 2/3 of 120)"),
    (None, with_(ledger_h1(), "uses.0.decision", "nosuch"),
     f"{G1}: uses.0.decision: expected an owners' decision in content/decisions/ that met its "
     "thresholds and took effect by 2026-06-30, found 'nosuch' (no such file content/decisions/nosuch.yml)"),
    (None, with_(ledger_h1(), "uses.0.no_decision_because", "业委会同意"),
     f"{G1}: uses.0: expected either decision (the owners' decision it carries out) or "
     "no_decision_because (why none was needed), found both"),
    (with_(ledger_h2(), "income.0.counterparty", "王先生"), None,
     f"{G0}: income.0.counterparty: expected one of '广告公司', '企业', '个体工商户', '电信运营商', "
     "'快递物流企业', '访客车辆', '业主（合计）', '机关或事业单位' or '其他机构', found '王先生'"),
    (with_(ledger_h2(), "income.1.source", "浙A12345 月租车位"), None,
     f"{G0}: income.1.source: expected text naming no person (no plate or phone number), "
     "found '浙A12345 月租车位'"),
], ids=["owners-share", "closing", "chain", "failed-decision", "no-decision", "both", "person",
        "plate"])
def test_invalid_ledger(fixture_site: BuildFixture, h2: dict[str, Any] | None,
                        h1: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site(site_files(h2, h1))
    assert f"  {message}" in str(caught.value).splitlines()


def test_a_decision_not_yet_in_effect_cannot_pay_for_a_use(fixture_site: BuildFixture) -> None:
    late = decision(**{"item": 9, "stages.objection_until": "2026-07-01",
                       "stages.effective": "2026-07-02"})
    with pytest.raises(BuildFailed) as caught:
        fixture_site(site_files(None, with_(ledger_h1(), "uses.0.decision", "late"), late=late))
    assert (f"  {G1}: uses.0.decision: expected an owners' decision in content/decisions/ that met "
            "its thresholds and took effect by 2026-06-30, found 'late' (content/decisions/late.yml "
            "takes effect on 2026-07-02)") in str(caught.value).splitlines()


def test_a_half_year_left_out_breaks_the_chain(fixture_site: BuildFixture) -> None:
    h2_2026 = with_(ledger_h1(), "period", "2026-H2")
    h2_2026["published"] = "2026-11-01"
    out = site_files()
    del out["public-income/2026-H1.yml"]
    out["public-income/2026-H2.yml"] = dump(h2_2026)
    with pytest.raises(BuildFailed) as caught:
        fixture_site(out)
    assert ("  content/public-income/2026-H2.yml: period: expected 2026-H1 (the half-year after "
            f"{G0}): no period may be left out, found '2026-H2'") in str(caught.value).splitlines()


# --- maintenance-fund spending cites a decision ----------------------------------------------

R = "content/reports/2026-H1.yml"


def report_citing(decision_id: str) -> str:
    data = with_(H1, "maintenance_fund.spending.1.approved", None)
    data["maintenance_fund"]["spending"][1]["decision"] = decision_id
    return dump(data)


def test_fund_spending_that_cites_a_decision_links_it(fixture_site: BuildFixture) -> None:
    site = fixture_site({**files(roof=decision()), "reports/2026-H1.yml": report_citing("roof")},
                        now="2026-11-23T09:00:00")
    rows = cells(site.page("reports/2026-H1/"), "fund-table")
    assert ["2026-03-02", "屋面防水翻新", "2栋屋面", "", "30,000.00", "461,950.00"] in rows
    assert 'href="../../decisions/roof/"' in site.page("reports/2026-H1/")


@pytest.mark.parametrize(("decision_id", "why"), [
    ("failed", "'failed' (content/decisions/failed.yml did not meet its thresholds: participation.area "
     "7000.00 m² is not at least 2/3 of 12000.00 m²; participation.owners 70 is not at least 2/3 of 120)"),
    ("ads", "'ads' (content/decisions/ads.yml decides art. 278 item 8, "
     "改变共有部分的用途或者利用共有部分从事经营活动)"),
    ("gone", "'gone' (no such file content/decisions/gone.yml)"),
], ids=["failed", "wrong-item", "missing"])
def test_fund_spending_citing_a_decision_that_cannot_approve_it(fixture_site: BuildFixture,
                                                                decision_id: str, why: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({**files(ads=ADS, failed=FAILED), "reports/2026-H1.yml": report_citing(decision_id)})
    assert (f"  {R}: maintenance_fund.spending.1.decision: expected an owners' decision on art. 278 "
            "item (5) (using the maintenance fund) in content/decisions/ that met its thresholds and "
            f"took effect by 2026-06-30, found {why}") in str(caught.value).splitlines()


def test_fund_spending_needs_a_decision_or_a_date(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(with_(H1, "maintenance_fund.spending.1.approved",
                                                         None))})
    assert (f"  {R}: maintenance_fund.spending.1: expected decision (the owners' decision in "
            "content/decisions/ that approved it) or approved (its date), found neither") \
        in str(caught.value).splitlines()


def test_example_ledgers_chain_and_the_roof_is_paid_by_its_decision(example_site: Site) -> None:
    rows = cells(example_site.page("public-income/"), "ledgers-table")
    assert [r[0] for r in rows[1:]] == ["2026年上半年", "2025年下半年"]
    assert rows[2][-1] == rows[1][1]  # 2025-H2's closing is 2026-H1's opening
    assert 'href="../../decisions/2026-roof-7/"' in example_site.page("reports/2026-H1/")
    assert 'href="../../decisions/2025-lift-ads/"' in example_site.page("public-income/2026-H1/")

