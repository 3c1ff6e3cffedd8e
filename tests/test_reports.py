"""Half-year budget disclosures: figures that add up, tables owners can check, data for Excel."""

from __future__ import annotations

import copy
import csv
import html as html_lib
import io
import re
from decimal import Decimal
from typing import Any

import pytest
import yaml

from conftest import ROOT, BuildFailed, BuildFixture, Site

NOW = "2026-11-23T09:00:00"


class _Dumper(yaml.SafeDumper):
    """Writes Decimal as a plain YAML number (0.1, not '0.1'), as staff type it."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar(
    "tag:yaml.org,2002:float" if "." in str(v) else "tag:yaml.org,2002:int", str(v)))

D = Decimal

SECTIONS = {k: f"{k} 情况正常。" for k in (
    "equipment", "security", "fire_safety", "parking", "cleaning", "greening", "pest_control",
    "evaluation")}


def report_2025_h2() -> dict[str, Any]:
    return {
        "period": "2025-H2", "currency": "CNY", "published": "2026-01-20",
        "income": {"property_fees": {"billed": D("180000.00"), "collected": D("171000.00")},
                   "parking": D("20000.00"), "shared_space": D("8000.00"),
                   "special_services": D("1000.00"), "other": 0, "total": D("200000.00")},
        "expenditure": {"lines": [
            {"category": "人员费用", "budget": 100000, "actual": D("98000.00")},
            {"category": "清洁卫生费", "budget": 30000, "actual": D("31500.50")},
            {"category": "税费", "budget": 10000, "actual": D("9800.00")},
        ], "total": {"budget": D("140000.00"), "actual": D("139300.50")}},
        "maintenance_fund": {
            "opening_balance": D("500000.00"),
            "income": [{"what": "专户利息", "amount": D("2000.00")}],
            "spending": [{"what": "3栋电梯维修", "where": "3栋", "amount": D("12000.00"),
                          "approved": "2025-10-01"}],
            "closing_balance": D("490000.00")},
        "collection": {"households_billed": 120, "households_paid": 114,
                       "rate_by_amount": D("95.0"), "rate_by_households": D("95.0")},
        "kpis": {"satisfaction": {"target": 90, "actual": D("90.0"), "achieved": 90, "out_of": 100},
                 "complaint_handling": {"target": 100, "actual": 100, "achieved": 10, "out_of": 10},
                 "follow_up": {"target": 100, "actual": D("95.0"), "achieved": 19, "out_of": 20}},
        "sections": dict(SECTIONS),
        "contact": {"name": "王敏", "role": "财务主管", "phone": "0571-0000 0000",
                    "follow_up": "3 个工作日内答复。"},
        "signature": {"manager": "陈立新", "company": "测试物业", "date": "2026-01-15"},
    }


def report_2026_h1() -> dict[str, Any]:
    r = report_2025_h2()
    r.update({"period": "2026-H1", "published": "2026-07-20"})
    r["income"] = {"property_fees": {"billed": D("180000.00"), "collected": D("172800.00")},
                   "parking": D("21000.00"), "shared_space": D("7500.00"),
                   "special_services": D("1200.00"), "other": D("300.00"), "total": D("202800.00")}
    r["expenditure"] = {"lines": [
        {"category": "人员费用", "budget": 100000, "actual": D("101000.00")},
        {"category": "清洁卫生费", "budget": 30000, "actual": D("29000.00")},
        {"category": "税费", "budget": 10000, "actual": D("10200.00")},
    ], "total": {"budget": D("140000.00"), "actual": D("140200.00")}}
    r["maintenance_fund"] = {
        "opening_balance": D("490000.00"),
        "income": [{"what": "专户利息", "amount": D("1950.00")}],
        "spending": [
            {"what": "消防水泵更换", "where": "地下车库", "amount": D("8000.00"), "approved": "2026-05-10"},
            {"what": "屋面防水翻新", "where": "2栋屋面", "amount": D("30000.00"), "approved": "2026-03-01"},
        ],
        "closing_balance": D("453950.00")}
    r["collection"] = {"households_billed": 120, "households_paid": 116,
                       "rate_by_amount": D("96.0"), "rate_by_households": D("96.7")}
    r["kpis"] = {"satisfaction": {"target": 90, "actual": D("92.0"), "achieved": 92, "out_of": 100},
                 "complaint_handling": {"target": 100, "actual": 100},
                 "follow_up": {"target": 100, "actual": D("100.0"), "achieved": 20, "out_of": 20}}
    r["signature"]["date"] = "2026-07-15"
    return r


def dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def with_(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with the field at dotted `path` set to `value` (None removes it)."""
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = out
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is None:
        del node[last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return out


def cells(html: str, table_id: str) -> list[list[str]]:
    """The rows of one table (thead, tbody and tfoot) as lists of cell texts."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


@pytest.fixture
def two_halves(fixture_site: BuildFixture) -> Site:
    return fixture_site({"reports/2025-H2.yml": dump(report_2025_h2()),
                         "reports/2026-H1.yml": dump(report_2026_h1())}, now=NOW)


# --- pages ---------------------------------------------------------------------------------

def test_summary_cards_show_collected_spent_and_balance_with_the_change(two_halves: Site) -> None:
    html = two_halves.page("reports/2026-H1/")
    cards = html.split('class="portal-report-cards"', 1)[1].split("</ul>", 1)[0]
    figures = re.findall(r'portal-report-card__figure">([^<]+)<', cards)
    # 202,800.00 income; 140,200.00 spent; 62,600.00 left; 172,800 ÷ 180,000 = 96.0 %
    assert figures == ["202,800.00", "140,200.00", "62,600.00", "96.0%"]
    changes = [html_lib.unescape(c) for c in re.findall(r'portal-report-card__change">([^<]+)<', cards)]
    assert changes == ["比2025年下半年 +2,800.00（+1.4%）",     # 2,800 ÷ 200,000
                       "比2025年下半年 +899.50（+0.6%）",       # 899.50 ÷ 139,300.50 = 0.65 %
                       "比2025年下半年 +1,900.50",              # 62,600.00 − 60,699.50
                       "比2025年下半年 +1.0 个百分点"]


def test_expenditure_table_budget_actual_variance_share_and_previous_period(two_halves: Site) -> None:
    rows = cells(two_halves.page("reports/2026-H1/"), "spending-table")
    assert rows[0] == ["类别", "预算", "实际", "差额（实际−预算）", "差额占预算", "占总支出",
                       "2025年下半年", "增减"]
    by_name = {r[0]: r[1:] for r in rows[1:]}
    assert by_name["人员费用"] == ["100,000.00", "101,000.00", "+1,000.00", "+1.0%", "72.0%",
                                   "98,000.00", "+3,000.00"]
    assert by_name["清洁卫生费"] == ["30,000.00", "29,000.00", "-1,000.00", "-3.3%", "20.7%",
                                     "31,500.50", "-2,500.50"]
    assert by_name["税费"] == ["10,000.00", "10,200.00", "+200.00", "+2.0%", "7.3%",
                               "9,800.00", "+400.00"]
    # a category without a line this period shows as zero, so periods stay comparable
    assert by_name["绿化养护费"] == ["0.00", "0.00", "0.00", "—", "0.0%", "0.00", "0.00"]
    assert by_name["合计"] == ["140,000.00", "140,200.00", "+200.00", "+0.1%", "100.0%",
                               "139,300.50", "+899.50"]
    assert list(by_name)[:10] == ["人员费用", "共用部位及设施设备日常运行维护费", "清洁卫生费",
                                  "绿化养护费", "秩序维护费", "办公费", "固定资产折旧",
                                  "公众责任保险费", "业主同意的其他费用", "税费"]


def test_income_table_against_the_previous_period(two_halves: Site) -> None:
    rows = cells(two_halves.page("reports/2026-H1/"), "income-table")
    assert rows[1:] == [
        ["物业费（实收）", "172,800.00", "171,000.00", "+1,800.00"],
        ["停车费", "21,000.00", "20,000.00", "+1,000.00"],
        ["公共收益", "7,500.00", "8,000.00", "-500.00"],
        ["有偿特约服务", "1,200.00", "1,000.00", "+200.00"],
        ["其他收入", "300.00", "0.00", "+300.00"],
        ["合计", "202,800.00", "200,000.00", "+2,800.00"],
    ]


def test_maintenance_fund_ledger_item_by_item_with_running_balance(two_halves: Site) -> None:
    rows = cells(two_halves.page("reports/2026-H1/"), "fund-table")
    assert rows[1:] == [
        ["", "期初余额", "", "", "", "490,000.00"],
        ["", "专户利息", "", "1,950.00", "", "491,950.00"],
        ["2026-03-01", "屋面防水翻新", "2栋屋面", "", "30,000.00", "461,950.00"],
        ["2026-05-10", "消防水泵更换", "地下车库", "", "8,000.00", "453,950.00"],
        ["", "期末余额", "", "1,950.00", "38,000.00", "453,950.00"],
    ]


def test_collection_and_kpis_against_targets(two_halves: Site) -> None:
    html = two_halves.page("reports/2026-H1/")
    assert cells(html, "collection-table")[1:] == [
        ["按金额", "180,000.00", "172,800.00", "96.0%", "+1.0"],
        ["按户数", "120", "116", "96.7%", "+1.7"],   # 116 ÷ 120 = 96.67 → 96.7; 95.0 before
    ]
    assert cells(html, "kpis-table")[1:] == [
        ["业主满意率", "90.0%", "92.0%", "92 / 100", "达标", "+2.0"],
        ["投诉处理率", "100.0%", "100.0%", "—", "达标", "0.0"],
        ["回访率", "100.0%", "100.0%", "20 / 20", "达标", "+5.0"],
    ]
    first = two_halves.page("reports/2025-H2/")
    assert cells(first, "kpis-table")[3] == ["回访率", "100.0%", "95.0%", "19 / 20", "未达标"]


def test_first_period_says_there_is_nothing_to_compare_with(two_halves: Site) -> None:
    html = two_halves.page("reports/2025-H2/")
    assert "没有上一期的报告可供比较" in html
    assert cells(html, "income-table")[0] == ["项目", "金额"]
    assert 'rel="prev"' not in html
    assert 'rel="prev" href="../2025-H2/"' in two_halves.page("reports/2026-H1/")


def test_narrative_contact_and_signature(two_halves: Site) -> None:
    html = two_halves.page("reports/2026-H1/")
    narrative = html.split('id="report"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r"<h3>([^<]+)</h3>", narrative) == [
        "设施设备", "秩序维护（安保）", "消防安全", "车辆停放", "清洁卫生", "绿化养护", "消杀", "工作评价"]
    assert "<p>fire_safety 情况正常。</p>" in narrative
    assert '<a href="tel:057100000000">0571-0000 0000</a>' in html
    assert "物业经理：陈立新" in html and "2026年07月15日" in html


def test_index_lists_periods_newest_first_and_is_a_tab(two_halves: Site) -> None:
    html = two_halves.page("reports/")
    rows = cells(html, "periods-table")
    assert [r[:5] for r in rows[1:]] == [
        ["2026年上半年", "202,800.00", "140,200.00", "62,600.00", "96.0%"],
        ["2025年下半年", "200,000.00", "139,300.50", "60,699.50", "95.0%"],
    ]
    assert '<a href="2026-H1/">2026年上半年</a>' in html
    assert '<a href="2026-H1/2026-H1.csv" download>CSV</a>' in html
    tabs = [t.strip() for t in re.findall(r'class="md-tabs__link">([^<]*)</a>', two_halves.page(""))]
    assert "财务公开" in tabs
    home = two_halves.page("")
    assert "财务公开：2026年上半年" in home and 'href="reports/2026-H1/"' in home


def test_trends_page_across_all_periods(two_halves: Site) -> None:
    html = two_halves.page("reports/trends/")
    assert cells(html, "rates-table")[1:] == [
        ["2025年下半年", "95.0%", "95.0%", "90.0%", "139,300.50"],
        ["2026年上半年", "96.0%", "96.7%", "92.0%", "140,200.00"],
    ]
    assert cells(html, "categories-table")[1] == ["人员费用", "98,000.00", "101,000.00"]


# --- charts ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "ids"), [
    ("reports/2026-H1/", ["chart-breakdown", "chart-budget"]),
    ("reports/trends/", ["chart-collection", "chart-trend-staff", "chart-trend-taxes"]),
])
def test_svg_charts_have_a_title_a_description_and_a_table_beside_them(
        two_halves: Site, url: str, ids: list[str]) -> None:
    html = two_halves.page(url)
    for chart in ids:
        svg = re.search(rf'<svg [^>]*aria-labelledby="{chart}-title {chart}-desc"[^>]*>(.*?)</svg>',
                        html, re.S)
        assert svg is not None, chart
        assert 'role="img"' in svg.group(0)
        assert re.search(rf'<title id="{chart}-title">[^<]+</title>', svg.group(1))
        assert re.search(rf'<desc id="{chart}-desc">[^<]+</desc>', svg.group(1))
    assert "<script" not in html.split('class="portal-report', 1)[1].split("</article>", 1)[0]


def test_chart_descriptions_carry_the_figures(two_halves: Site) -> None:
    html = two_halves.page("reports/2026-H1/")
    desc = html_lib.unescape(re.search(r'<desc id="chart-breakdown-desc">([^<]+)</desc>', html)[1])
    assert "人员费用 101,000.00（72.0%）" in desc
    bars = re.findall(r'<rect class="portal-chart__bar portal-chart--actual" x="0" y="[\d.]+" '
                      r'width="([\d.]+)"', html.split('id="chart-breakdown-title"', 1)[1])[:3]
    # bars are proportional: 101,000 is the longest (184 px drawn), 29,000 is 29/101 of it
    assert float(bars[0]) == pytest.approx(184.0)
    assert float(bars[2]) == pytest.approx(184.0 * 29000 / 101000, abs=0.1)


# --- downloads ---------------------------------------------------------------------------

def test_csv_download_has_a_bom_and_parses_back_to_the_source_figures(two_halves: Site) -> None:
    raw = (two_halves.root / "reports/2026-H1/2026-H1.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read Chinese"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    source = report_2026_h1()
    spending = [r for r in rows if r["部分"] == "支出" and r["类别"] != "合计"]
    assert [(r["类别"], D(r["预算（元）"]), D(r["金额（元）"])) for r in spending] == [
        (line["category"], D(line["budget"]), D(line["actual"]))
        for line in source["expenditure"]["lines"]]
    income = {r["类别"]: D(r["金额（元）"]) for r in rows if r["部分"] == "收入"}
    assert income == {"物业费（实收）": D("172800.00"), "停车费": D("21000.00"),
                      "公共收益": D("7500.00"), "有偿特约服务": D("1200.00"),
                      "其他收入": D("300.00"), "合计": D("202800.00")}
    fund = [(r["项目"], r["位置"], r["批准日期"], D(r["金额（元）"]))
            for r in rows if r["部分"] == "专项维修资金" and r["类别"] == "支出"]
    assert fund == [(s["what"], s["where"], s["approved"], s["amount"])
                    for s in source["maintenance_fund"]["spending"]]
    assert raw.count(b"\r\n") == len(rows) + 1


def test_source_yaml_is_offered_as_it_was_written(two_halves: Site, tmp_path: Any) -> None:
    written = (tmp_path / "content" / "reports" / "2026-H1.yml").read_bytes()
    assert (two_halves.root / "reports/2026-H1/2026-H1.yml").read_bytes() == written
    assert '<a href="2026-H1.yml" download>' in two_halves.page("reports/2026-H1/")


def test_expenditure_lines_from_a_csv_beside_the_report(fixture_site: BuildFixture) -> None:
    data = with_(report_2026_h1(), "expenditure.lines", None)
    data["expenditure_csv"] = "2026-H1-lines.csv"
    lines = ("\ufeff类别,项目,预算,实际,备注\r\n"  # as Excel saves it: BOM, Chinese header, CRLF
             "人员费用,工资,80000,80500.00,\r\n人员费用,社会保险,20000,20500.00,含公积金\r\n"
             "清洁卫生费,保洁,30000,29000.00,\r\n税费,税费,10000,10200.00,\r\n")
    site = fixture_site({"reports/2026-H1.yml": dump(data), "reports/2026-H1-lines.csv": lines},
                        now=NOW)
    html = site.page("reports/2026-H1/")
    assert cells(html, "lines-table")[1:3] == [
        ["人员费用", "工资", "80,000.00", "80,500.00", ""],
        ["人员费用", "社会保险", "20,000.00", "20,500.00", "含公积金"]]
    assert cells(html, "spending-table")[1][:3] == ["人员费用", "100,000.00", "101,000.00"]
    assert (site.root / "reports/2026-H1/2026-H1-lines.csv").read_bytes() == lines.encode("utf-8")


# --- exact arithmetic ----------------------------------------------------------------------

def test_amounts_add_up_exactly_where_floats_would_not(fixture_site: BuildFixture) -> None:
    # 0.1 + 0.2 == 0.30000000000000004 in float; as Decimal it is 0.3, so this report is valid.
    data = report_2026_h1()
    data["expenditure"] = {"lines": [
        {"category": "人员费用", "budget": D("0.1"), "actual": D("0.1")},
        {"category": "税费", "budget": D("0.2"), "actual": D("0.2")},
    ], "total": {"budget": D("0.3"), "actual": D("0.3")}}
    data["income"]["other"] = D("0.40")
    data["income"]["total"] = D("202500.40")  # 172,800 + 21,000 + 7,500 + 1,200 + 0.40
    site = fixture_site({"reports/2026-H1.yml": dump(data)}, now=NOW)
    rows = cells(site.page("reports/2026-H1/"), "spending-table")
    assert rows[-1][:3] == ["合计", "0.30", "0.30"]
    assert cells(site.page("reports/2026-H1/"), "income-table")[-1] == ["合计", "202,500.40"]


def test_rates_round_half_up_to_one_decimal(fixture_site: BuildFixture) -> None:
    # 1 of 16 households is 6.25 %: half up gives 6.3 (float's round(6.25, 1) gives 6.2).
    data = with_(report_2026_h1(), "collection.households_billed", 16)
    data["collection"]["households_paid"] = 1
    data["collection"]["rate_by_households"] = D("6.3")
    site = fixture_site({"reports/2026-H1.yml": dump(data)}, now=NOW)
    assert cells(site.page("reports/2026-H1/"), "collection-table")[2][3] == "6.3%"
    data["collection"]["rate_by_households"] = D("6.2")
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data)}, now=NOW)
    assert ("  content/reports/2026-H1.yml: collection.rate_by_households: expected 6.3 "
            "(households_paid 1 ÷ households_billed 16 × 100, rounded to 1 decimal place), found 6.2"
            ) in str(caught.value).splitlines()


# --- publishing time -----------------------------------------------------------------------

def test_a_report_published_later_is_not_on_the_site_yet(fixture_site: BuildFixture) -> None:
    later = report_2026_h1()
    later.update({"period": "2026-H2", "published": "2027-01-20"})
    later["signature"]["date"] = "2027-01-15"
    files = {"reports/2026-H1.yml": dump(report_2026_h1()), "reports/2026-H2.yml": dump(later)}
    site = fixture_site(files, now=NOW)
    assert not site.exists("reports/2026-H2/")
    assert "2026年下半年" not in site.page("reports/") and "2026-H2" not in site.page("reports/trends/")
    assert "财务公开：2026年上半年" in site.page("")


def test_the_scheduled_report_appears_once_its_date_has_come(fixture_site: BuildFixture) -> None:
    later = report_2026_h1()
    later.update({"period": "2026-H2", "published": "2027-01-20"})
    later["signature"]["date"] = "2027-01-15"
    site = fixture_site({"reports/2026-H1.yml": dump(report_2026_h1()),
                         "reports/2026-H2.yml": dump(later)}, now="2027-01-20T00:00:00")
    assert site.exists("reports/2026-H2/")
    assert "财务公开：2026年下半年" in site.page("")
    assert 'rel="prev" href="../2026-H1/"' in site.page("reports/2026-H2/")


def test_no_reports_no_tab(fixture_site: BuildFixture) -> None:
    site = fixture_site({"reports/drafts/2026-H1.yml": "not: a report\n"}, now=NOW)
    assert not site.exists("reports/")
    assert "财务公开" not in site.page("")


def test_other_features_folders_under_reports_are_left_alone(fixture_site: BuildFixture) -> None:
    site = fixture_site({"reports/2026-H1.yml": dump(report_2026_h1()),
                         "reports/drafts/2026-H2.yml": "anything: [unparsed\n",
                         "reports/README.md": "# 说明\n"}, now=NOW)
    assert site.exists("reports/2026-H1/")


# --- invalid content ---------------------------------------------------------------------

H1 = report_2026_h1()
F = "content/reports/2026-H1.yml"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_(H1, "expenditure.total.actual", D("140000.00")),
         f"{F}: expenditure.total.actual: expected 140,200.00 (the sum of the lines), found 140,000.00"),
        (with_(H1, "expenditure.total.budget", D("139999.99")),
         f"{F}: expenditure.total.budget: expected 140,000.00 (the sum of the lines), found 139,999.99"),
        (with_(H1, "income.total", D("202000.00")),
         f"{F}: income.total: expected 202,800.00 (property_fees.collected + parking + shared_space "
         "+ special_services + other), found 202,000.00"),
        (with_(H1, "maintenance_fund.closing_balance", D("491950.00")),
         f"{F}: maintenance_fund.closing_balance: expected 453,950.00 (opening_balance 490,000.00 "
         "+ income 1,950.00 − spending 38,000.00), found 491,950.00"),
        (with_(H1, "collection.rate_by_amount", D("102.0")),
         f"{F}: collection.rate_by_amount: expected a percentage between 0 and 100, found 102.0"),
        (with_(H1, "collection.rate_by_amount", D("95.0")),
         f"{F}: collection.rate_by_amount: expected 96.0 (collected 172,800.00 ÷ billed 180,000.00 "
         "× 100, rounded to 1 decimal place), found 95.0"),
        (with_(H1, "collection.households_paid", 121),
         f"{F}: collection.households_paid: expected at most households_billed (120), found 121"),
        (with_(H1, "collection.households_billed", 130),
         f"{F}: collection.households_billed: expected at most the households in "
         "content/community.yml (120), found 130"),
        (with_(H1, "kpis.satisfaction.actual", D("90")),
         f"{F}: kpis.satisfaction.actual: expected 92.0 (achieved 92 ÷ out_of 100 × 100, rounded "
         "to 1 decimal place), found 90"),
        (with_(H1, "period", "2026-H2"),
         f"{F}: period: expected the period in the file name (2026-H1), found '2026-H2'"),
        (with_(H1, "period", "2026上半年"),
         f"{F}: period: expected a half-year such as 2026-H1 or 2026-H2, found '2026上半年'"),
        (with_(H1, "published", "2026-06-01"),
         f"{F}: published: expected a date after the period ends (2026-06-30), found 2026-06-01"),
        (with_(H1, "income.parking", D("21000.005")),
         f"{F}: income.parking: expected an amount in yuan such as 1234.50 (at most 2 decimal "
         "places), found 21000.005"),
        (with_(H1, "income.parking", "两万"),
         f"{F}: income.parking: expected an amount in yuan such as 1234.50 (at most 2 decimal "
         "places), found '两万'"),
        (with_(H1, "expenditure.lines.0.category", "工资"),
         f"{F}: expenditure.lines.0.category: expected one of '人员费用', '共用部位及设施设备日常运行"
         "维护费', '清洁卫生费', '绿化养护费', '秩序维护费', '办公费', '固定资产折旧', '公众责任保险费', "
         "'业主同意的其他费用', '税费', found '工资'"),
        (with_(H1, "contact.phone", "138 0000 0000"),
         f"{F}: contact.phone: expected one of the public numbers in content/community.yml "
         "('0571-0000 0000'), found '138 0000 0000'"),
        (with_(H1, "maintenance_fund.spending.0.approved", "2026-07-03"),
         f"{F}: maintenance_fund.spending.0.approved: expected a date on or before the end of the "
         "period (2026-06-30), found 2026-07-03"),
        (with_(H1, "sections.greening", None),
         f"{F}: sections.greening: expected a value (this field is required), found nothing"),
        (with_(H1, "currency", "USD"),
         f"{F}: currency: expected one of 'CNY', found 'USD'"),
    ],
    ids=["spending-total", "budget-total", "income-total", "closing-balance", "rate-range",
         "rate-vs-amounts", "households-paid", "households-community", "kpi-vs-counts",
         "period-vs-file", "period-format", "published-early", "three-decimals", "amount-text",
         "category", "private-phone", "approved-after-period", "missing-section", "currency"],
)
def test_invalid_report(fixture_site: BuildFixture, data: dict[str, Any], message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data)}, now=NOW)
    assert f"  {message}" in str(caught.value).splitlines()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("category,item,budget,actual\n人员费用,工资,100000,abc\n",
         "content/reports/2026-H1-lines.csv: row 2, column actual: expected an amount in yuan such "
         "as 1234.50 (at most 2 decimal places), found 'abc'"),
        ("category,item,budget,actual\n人员费用,工资,100000,101000\n工资,奖金,0,0\n",
         "content/reports/2026-H1-lines.csv: row 3, column category: expected one of '人员费用', "
         "'共用部位及设施设备日常运行维护费', '清洁卫生费', '绿化养护费', '秩序维护费', '办公费', "
         "'固定资产折旧', '公众责任保险费', '业主同意的其他费用', '税费', found '工资'"),
        ("category,item,budget,actual\n人员费用,工资,100000\n",
         "content/reports/2026-H1-lines.csv: row 2: expected 4 cells like the header, found 3 cells"),
        ("类别,金额\n人员费用,1\n",
         "content/reports/2026-H1-lines.csv: row 1 (header): expected the columns category, item, "
         "budget, actual, note (or 类别, 项目, 预算, 实际, 备注), found '金额'"),
    ],
    ids=["bad-amount", "bad-category", "short-row", "header"],
)
def test_invalid_expenditure_csv(fixture_site: BuildFixture, lines: str, message: str) -> None:
    data = with_(H1, "expenditure.lines", None)
    data["expenditure_csv"] = "2026-H1-lines.csv"
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data), "reports/2026-H1-lines.csv": lines}, now=NOW)
    assert f"  {message}" in str(caught.value).splitlines()


def test_missing_csv_and_misnamed_file(fixture_site: BuildFixture) -> None:
    data = with_(H1, "expenditure.lines", None)
    data["expenditure_csv"] = "lines.csv"
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data), "reports/2026-1.yml": dump(H1)}, now=NOW)
    lines = str(caught.value).splitlines()
    assert f"  {F}: expenditure_csv: expected a file 'lines.csv' beside the report, found no such file" \
        in lines
    assert ("  content/reports/2026-1.yml: (file name): expected the period and .yml, such as "
            "2026-H1.yml or 2026-H2.yml, found '2026-1.yml'") in lines


def test_every_arithmetic_problem_is_reported_at_once(fixture_site: BuildFixture) -> None:
    data = with_(H1, "income.total", D("1.00"))
    data = with_(data, "expenditure.total.actual", D("1.00"))
    data = with_(data, "maintenance_fund.closing_balance", D("1.00"))
    data = with_(data, "collection.rate_by_households", D("50.0"))
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"reports/2026-H1.yml": dump(data)}, now=NOW)
    assert str(caught.value).splitlines()[0] == "4 problems in the portal content:"


# --- the example community -----------------------------------------------------------------

def test_example_reports_add_up_and_the_second_half_of_2026_is_scheduled(example_site: Site) -> None:
    assert [p.name for p in sorted((example_site.root / "reports").iterdir()) if p.name[:1] == "2"] \
        == ["2025-H1", "2025-H2", "2026-H1"]
    assert (ROOT / "content/reports/2026-H2.yml").is_file()
    rows = cells(example_site.page("reports/"), "periods-table")
    assert [r[0] for r in rows[1:]] == ["2026年上半年", "2025年下半年", "2025年上半年"]
    for path in (ROOT / "content" / "reports").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}", text), f"{path}: a mobile number"


def test_every_csv_the_site_publishes_opens_in_excel(example_site: Site) -> None:
    """Excel on a Chinese Windows PC reads a CSV as UTF-8 only with a BOM: every CSV the
    site publishes has one, including a staff CSV copied beside a report."""
    files = sorted(example_site.root.rglob("*.csv"))
    assert any("expenditure" in p.name for p in files), "the example's staff CSV is published"
    missing = [str(p.relative_to(example_site.root)) for p in files
               if not p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert files and missing == []
