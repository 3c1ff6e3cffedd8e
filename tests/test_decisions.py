"""Owners' decisions register: art. 278 thresholds decided in integers, pages owners can check."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
import yaml
from test_reports import cells

from conftest import ROOT, BuildFailed, BuildFixture, Site
from portal.features.decisions.model import ITEMS, ProfileFile, RulesFile, resolve, to_rule
from portal.features.decisions.rules import Rule

RULES_TEXT = (ROOT / "content/decisions/rules.yml").read_text(encoding="utf-8")
F = "content/decisions/2026-roof.yml"


def rule_rows() -> list[tuple[str, str, Rule]]:
    """Every row of the example rule table, each profile resolved: (profile, row, rule)."""
    meta = RulesFile.model_validate(yaml.safe_load(RULES_TEXT))
    rows: list[tuple[str, str, Rule]] = []
    for key in meta.profiles:
        profile, _ = resolve(key, meta.profiles)
        assert profile is not None
        rows.append((key, "participation", profile.participation))
        rows.extend((key, f"item {i}", profile.items[i]) for i in ITEMS)
    return rows


def decision(**changes: Any) -> dict[str, Any]:
    """A decision that passes the national rules for item 5 (fund use) with room to spare."""
    d: dict[str, Any] = {
        "title": "使用维修资金翻新屋面", "matter": "2栋屋面渗漏，使用维修资金翻新。", "item": 5,
        "convener": "业主委员会", "buildings": ["2栋"],
        "electorate": {"owners": 120, "area": "12000.00"},
        "participation": {"owners": 90, "area": "9000.00"},
        "votes": {"for": {"owners": 60, "area": "6000.00"},
                  "against": {"owners": 20, "area": "2000.00"},
                  "abstain": {"owners": 10, "area": "1000.00"}},
        "result": "passed",
        "stages": {"announced": "2026-02-01", "voting_from": "2026-02-05", "voting_to": "2026-02-20",
                   "result_posted": "2026-02-22", "objection_until": "2026-03-01",
                   "effective": "2026-03-02"},
        "source": {"title": "表决结果公告", "url": "https://example.org/result"},
    }
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = d
        for p in parents:
            node = node[p]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return copy.deepcopy(d)


def files(**decisions: dict[str, Any]) -> dict[str, str]:
    out = {"decisions/rules.yml": RULES_TEXT}
    out.update({f"decisions/{k}.yml": yaml.safe_dump(v, allow_unicode=True)
                for k, v in decisions.items()})
    return out


# --- the rule table: every row at its boundary, one below, one above ----------------------

@pytest.mark.parametrize(("profile", "row", "rule"), rule_rows(),
                         ids=[f"{p}-{r.replace(' ', '')}" for p, r, _ in rule_rows()])
def test_every_rule_at_its_boundary_one_below_and_one_above(profile: str, row: str,
                                                            rule: Rule) -> None:
    whole = 1206 * rule.den  # a whole the fraction divides, so the boundary is a count
    boundary = rule.num * whole // rule.den
    assert rule.met(boundary, whole) is (rule.kind == "at_least")
    assert not rule.met(boundary - 1, whole)
    assert rule.met(boundary + 1, whole)
    assert rule.needed(whole) == (boundary if rule.kind == "at_least" else boundary + 1)


@pytest.mark.parametrize(("text", "whole", "met", "not_met"), [
    ("at least 2/3", 1206, 804, 803),      # 2/3 of 1206 is 804 exactly: 804 meets it
    ("at least 2/3", 1000, 667, 666),      # 666.67: the boundary is not a count
    ("more than 1/2", 1000, 501, 500),     # exactly half is not more than half
    ("more than 1/2", 999, 500, 499),
    ("at least 3/4", 1000, 750, 749),
    ("at least 3/4", 99120, 74340, 74339),
    ("at least 2/3", 1123648, 749099, 749098),  # area in 0.01 m²: 7490.99 m² of 11236.48 m²
])
def test_thresholds_in_integers(text: str, whole: int, met: int, not_met: int) -> None:
    rule = to_rule(text)
    assert rule.met(met, whole) and not rule.met(not_met, whole)
    assert rule.needed(whole) == met


def test_a_local_profile_changes_only_the_rows_it_names() -> None:
    meta = RulesFile.model_validate(yaml.safe_load(RULES_TEXT))
    national, _ = resolve("national", meta.profiles)
    local, _ = resolve("local-fund-two-thirds", meta.profiles)
    assert national is not None and local is not None
    assert local.items[5] == Rule("at_least", 2, 3) and national.items[5] == Rule("more_than", 1, 2)
    assert {i: r for i, r in local.items.items() if i != 5} == \
        {i: r for i, r in national.items.items() if i != 5}
    profiles = {"a": ProfileFile(title="a", based_on="b"), "b": ProfileFile(title="b", based_on="a")}
    assert resolve("a", profiles)[0] is None


# --- pages ---------------------------------------------------------------------------------

@pytest.fixture
def register(fixture_site: BuildFixture) -> Site:
    return fixture_site(files(**{
        "2026-roof": decision(),
        # exactly 2/3 of owners and of area take part; exactly half approve: not more than half
        "2026-half": decision(**{
            "title": "刚好一半同意", "participation": {"owners": 80, "area": "8000.00"},
            "votes": {"for": {"owners": 40, "area": "4000.00"},
                      "against": {"owners": 36, "area": "3600.00"},
                      "abstain": {"owners": 4, "area": "400.00"}},
            "result": "failed", "stages.effective": None}),
    }))


def test_the_page_shows_both_conditions_the_margin_and_says_it_runs_no_vote(register: Site) -> None:
    html = register.page("decisions/2026-roof/")
    assert "门户不组织投票" in html
    rows = cells(html, "thresholds-table")
    assert rows[0] == ["条件", "规则", "基数", "所需最少", "实际", "占比", "余量", "是否满足"]
    assert rows[1:] == [
        ["参与表决的专有部分面积（占全体）", "2/3 以上（含本数）", "12000.00 m²", "8000.00 m²",
         "9000.00 m²", "75.00%", "+1000.00 m²", "满足"],
        ["参与表决的业主人数（占全体）", "2/3 以上（含本数）", "120", "80", "90", "75.00%", "+10", "满足"],
        ["同意的专有部分面积（占参与表决）", "超过 1/2（不含本数）", "9000.00 m²", "4500.01 m²",
         "6000.00 m²", "66.67%", "+1499.99 m²", "满足"],
        ["同意的业主人数（占参与表决）", "超过 1/2（不含本数）", "90", "46", "60", "66.67%", "+14", "满足"],
    ]
    assert "通过（2026-03-02 起生效）" in html


def test_exactly_two_thirds_take_part_and_exactly_half_is_not_more_than_half(register: Site) -> None:
    rows = cells(register.page("decisions/2026-half/"), "thresholds-table")
    assert [r[-2:] for r in rows[1:]] == [["+0.00 m²", "满足"], ["+0", "满足"],
                                          ["−0.01 m²", "不满足"], ["−1", "不满足"]]


def test_a_row_of_fewer_than_five_owners_is_not_shown(register: Site) -> None:
    rows = cells(register.page("decisions/2026-half/"), "votes-table")
    assert ["弃权", "少于 5 户，不单独公布"] in rows
    assert not any("400.00" in c for r in rows for c in r)


def test_no_breakdown_when_fewer_than_five_owners_take_part(fixture_site: BuildFixture) -> None:
    small = decision(**{"electorate": {"owners": 6, "area": "600.00"},
                        "participation": {"owners": 4, "area": "400.00"},
                        "votes": {"for": {"owners": 4, "area": "400.00"},
                                  "against": {"owners": 0, "area": 0},
                                  "abstain": {"owners": 0, "area": 0}}})
    site = fixture_site(files(small=small))
    rows = cells(site.page("decisions/small/"), "votes-table")
    assert [r[0] for r in rows[1:]] == ["有表决权的全体业主", "参与表决"]


def test_the_index_lists_decisions_newest_first_with_their_result(register: Site) -> None:
    rows = cells(register.page("decisions/"), "decisions-table")
    # the same day's results: by file name, newest first
    assert [r[0] for r in rows[1:]] == ["使用维修资金翻新屋面", "刚好一半同意"]
    assert {r[2] for r in rows[1:]} == {"通过", "未通过"}


def test_a_source_file_is_published_with_its_checked_sha256(fixture_site: BuildFixture,
                                                            tmp_path: Any) -> None:
    pdf = b"%PDF-1.4\n% a result notice\n"
    digest = hashlib.sha256(pdf).hexdigest()
    (tmp_path / "content/decisions").mkdir(parents=True)
    (tmp_path / "content/decisions/roof.pdf").write_bytes(pdf)
    site = fixture_site(files(roof=decision(**{"source": {
        "title": "公告扫描件", "file": "roof.pdf", "sha256": digest}})))
    assert (site.root / "decisions/roof/roof.pdf").read_bytes() == pdf
    assert digest in site.page("decisions/roof/")


def test_a_decision_whose_result_is_posted_later_is_not_on_the_site(fixture_site: BuildFixture) -> None:
    site = fixture_site(files(later=decision(**{"stages.result_posted": "2026-12-01",
                                                "stages.objection_until": "2026-12-10",
                                                "stages.effective": "2026-12-11"})))
    assert not site.exists("decisions/later/")


# --- what the build refuses ------------------------------------------------------------------

@pytest.mark.parametrize(("data", "message"), [
    (decision(result="failed"),
     f"{F}: result: expected 'passed' (all four conditions of art. 278 met), found 'failed'"),
    (decision(**{"participation": {"owners": 79, "area": "7999.99"},
                 "votes": {"for": {"owners": 60, "area": "6000.00"},
                           "against": {"owners": 10, "area": "1000.00"},
                           "abstain": {"owners": 9, "area": "999.99"}}}),
     f"{F}: result: expected 'failed' (participation.area 7999.99 m² is not at least 2/3 of "
     "12000.00 m²; participation.owners 79 is not at least 2/3 of 120), found 'passed'"),
    (decision(**{"votes.abstain": {"owners": 11, "area": "1000.00"}}),
     f"{F}: votes.owners: expected for + against + abstain = participation.owners (90), found 91"),
    (decision(**{"participation.area": "12000.01"}),
     f"{F}: participation.area: expected at most electorate.area (12000.00 m²), found 12000.01 m²"),
    (decision(**{"electorate.area": 12000.001}),
     f"{F}: electorate.area: expected an area in m² such as 1234.56 (at most 2 decimal places), "
     "found 12000.001"),
    (decision(rules="shanghai"),
     f"{F}: rules: expected a profile of content/decisions/rules.yml ('national', "
     "'local-fund-two-thirds'), found 'shanghai'"),
    (decision(**{"stages.voting_to": "2026-02-04"}),
     f"{F}: stages.voting_to: expected a date on or after stages.voting_from (2026-02-05), "
     "found 2026-02-04"),
    (decision(buildings=["11栋"]),
     f"{F}: buildings.0: expected a building of content/community.yml (1栋, 2栋, 3栋), found '11栋'"),
    (decision(convener="物业公司"),
     f"{F}: convener: expected one of '业主委员会', '物业管理委员会', '居民委员会' or '街道办事处', "
     "found '物业公司'"),
    (decision(voters=[{"unit": "2-1-301", "vote": "for"}]),
     f"{F}: voters: expected no such field (check the spelling), found a list of 1"),
    (decision(**{"source": {"title": "公告", "file": "roof.pdf", "sha256": "0" * 64}}),
     f"{F}: source.file: expected a file 'roof.pdf' beside the decision, found no such file"),
    (decision(**{"source": {"title": "公告"}}),
     f"{F}: source: expected either url (a link) or file (a document beside the decision), "
     "found neither"),
], ids=["result-passed", "result-failed", "votes-sum", "participation-above", "area-decimals",
        "unknown-profile", "stage-order", "building", "convener", "individual-votes",
        "source-missing", "source-neither"])
def test_invalid_decision(fixture_site: BuildFixture, data: dict[str, Any], message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site(files(**{"2026-roof": data}))
    assert f"  {message}" in str(caught.value).splitlines()


def test_a_failed_decision_never_takes_effect(fixture_site: BuildFixture) -> None:
    data = decision(**{"participation": {"owners": 80, "area": "8000.00"},
                       "votes": {"for": {"owners": 40, "area": "4000.00"},
                                 "against": {"owners": 40, "area": "4000.00"},
                                 "abstain": {"owners": 0, "area": 0}}, "result": "failed"})
    with pytest.raises(BuildFailed) as caught:
        fixture_site(files(**{"2026-roof": data}))
    assert (f"  {F}: stages.effective: expected no date (a decision that did not pass never takes "
            "effect), found 2026-03-02") in str(caught.value).splitlines()


def test_a_changed_source_file_is_refused(fixture_site: BuildFixture) -> None:
    data = decision(**{"source": {"title": "公告", "file": "roof.pdf", "sha256": "0" * 64}})
    with pytest.raises(BuildFailed) as caught:
        fixture_site({**files(**{"2026-roof": data}), "decisions/roof.pdf": "PDF"})
    digest = hashlib.sha256(b"PDF").hexdigest()
    assert (f"  {F}: source.sha256: expected {digest!r} (the SHA-256 of "
            f"content/decisions/roof.pdf), found {'0' * 64!r}") in str(caught.value).splitlines()


def test_decisions_need_the_rule_table(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"decisions/2026-roof.yml": yaml.safe_dump(decision(), allow_unicode=True)})
    assert ("  content/decisions/rules.yml: (file): expected the rule table (the national rules of "
            "art. 278 and any local profile) beside the decisions, found no such file") \
        in str(caught.value).splitlines()


def test_a_bad_rule_is_named(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({**files(**{"2026-roof": decision()}),
                      "decisions/rules.yml": RULES_TEXT.replace("5: at least 2/3", "5: 三分之二以上")})
    assert ("  content/decisions/rules.yml: profiles.local-fund-two-thirds.items.5: expected a rule "
            "such as 'at least 2/3' or 'more than 1/2', found '三分之二以上'") \
        in str(caught.value).splitlines()


# --- the example community ------------------------------------------------------------------

def test_example_decisions_one_passed_one_failed_on_participation_one_needing_three_quarters(
        example_site: Site) -> None:
    rows = {r[0]: r for r in cells(example_site.page("decisions/"), "decisions-table")[1:]}
    assert rows["使用专项维修资金翻新7栋屋面防水"][2] == "通过"
    assert rows["使用公共收益更新儿童游乐设施"][2] == "未通过"
    lift = cells(example_site.page("decisions/2025-lift-ads/"), "thresholds-table")
    assert lift[3][1] == "3/4 以上（含本数）" and lift[3][-1] == "满足"
    play = cells(example_site.page("decisions/2026-playground/"), "thresholds-table")
    assert [r[-1] for r in play[1:]] == ["不满足", "不满足", "满足", "满足"]
