"""Surveys: definitions as content, one answer per household code, counters that match a recount."""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ANSWERS_OK, FIXED_NOW, ROOT, SURVEY, BuildFailed, BuildFixture, Clock, Site, app_client
from portal_contracts import surveys as defs
from portal_domain.settings import Settings
from portal_domain.store import Store
from portal_domain.surveys import SurveyService, code_hash


def definition(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(SURVEY)
    data.update(changes)
    return data


@pytest.fixture
def poll() -> defs.Survey:
    return defs.parse(yaml.safe_load(SURVEY), "quick-poll")


@pytest.fixture
def surveys(ddb: Any, table: str, poll: defs.Survey) -> SurveyService:
    clock = Clock(1_795_400_000.0)  # 2026-11-23
    return SurveyService(Store(table, ddb), Settings(secret=b"s", rate_limit=1000,
                                                      survey_rate_limit=1000),
                         {"quick-poll": poll,
                          "open-poll": defs.parse({**yaml.safe_load(SURVEY), "id": "open-poll",
                                                   "access": "open"})}, clock)


@pytest.fixture
def client(surveys: SurveyService) -> Any:
    yield from app_client(surveys=surveys)


def answer(client: Any, body: Any, key: str = "answer-key-1", survey: str = "quick-poll") -> Any:
    return client.http.post(f"/surveys/{survey}/responses", body=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json", "Idempotency-Key": key})


# --- definitions ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"closes": "2026-10-01"},
         "closes: expected a date on or after 'opens' (2026-11-01), found 2026-10-01"),
        ({"access": "password"}, "access: expected one of 'open', 'codes', found 'password'"),
        ({"id": "other"}, "id: expected the file name (quick-poll), found 'other'"),
        ({"households": 0}, "households: expected a whole number greater than 0, found 0"),
        ({"colour": "red"}, "colour: expected no such field (check the spelling), found 'red'"),
    ],
)
def test_bad_survey_fields(fixture_site: BuildFixture, change: dict[str, Any], message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"surveys/quick-poll.yml": yaml.safe_dump(definition(**change),
                                                               allow_unicode=True)})
    assert f"  content/surveys/quick-poll.yml: {message}" in str(caught.value).splitlines()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("kind: rating, item: 清洁卫生", "kind: stars, item: 清洁卫生",
         "sections.0.questions.0.kind: expected one of 'single', 'multiple', 'rating', "
         "'importance', 'nps', 'text', found 'stars'"),
        ("options: [不到1年, 1年以上]", "options: [只有一个]",
         "sections.0.questions.5.options: expected a list of at least two answers, found ['只有一个']"),
        ("pairs_with: sat_green", "pairs_with: years",
         "questions.imp_green.pairs_with: expected the id of a rating question, found 'years'"),
        ("show_if: {question: sat_clean, answer: [1, 2]}", "show_if: {question: nps, answer: [1]}",
         "sections.0.questions.1.show_if.question: expected the id of an earlier question, "
         "found 'nps'"),
        ("answer: [1, 2]", "answer: [7]",
         "sections.0.questions.1.show_if.answer: expected answers of 'sat_clean' (1, 2, 3, 4, 5), "
         "found [7]"),
        ("id: nps, kind: nps", "id: sat_clean, kind: nps",
         "sections.0.questions.6.id: expected an id not used by another question, found 'sat_clean'"),
    ],
)
def test_bad_questions(fixture_site: BuildFixture, old: str, new: str, message: str) -> None:
    assert old in SURVEY
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"surveys/quick-poll.yml": SURVEY.replace(old, new)})
    assert f"  content/surveys/quick-poll.yml: {message}" in str(caught.value).splitlines()


def test_the_form_and_the_api_read_one_definition(example_site: Site, tmp_path: Path) -> None:
    """Field names and values in the built form = what the API validates; the bundle = content."""
    from portal_staff.surveys import bundle

    bundled = bundle(ROOT / "content", tmp_path / "bundle.json")
    checked: list[str] = []
    for sid, raw in bundled.items():
        survey = defs.parse(raw)
        assert survey == defs.parse(yaml.safe_load(
            (ROOT / "content" / "surveys" / f"{sid}.yml").read_text(encoding="utf-8")), sid)
        html = example_site.page(f"surveys/{sid}/")
        today = date.fromisoformat(FIXED_NOW[:10])
        if not survey.is_open(today):  # a closed or coming survey shows no form
            assert 'id="portal-survey"' not in html, sid
            continue
        checked.append(sid)
        form = html.split('id="portal-survey"', 1)[1].split("</form>", 1)[0]
        names = set(re.findall(r'name="([a-z_0-9]+)"', form)) - {"code", "website"}
        assert names == {q.id for q in survey.questions}
        for q in survey.questions:
            if q.kind != "text":
                assert re.findall(rf'name="{q.id}" value="([^"]+)"', form) == list(q.values())
    assert checked == ["2026-satisfaction"]  # the example's open survey


# --- answers through the API ----------------------------------------------------------------

def issue(surveys: SurveyService, n: int = 3) -> list[str]:
    return surveys.issue_codes("quick-poll", n)


def test_a_household_code_is_used_exactly_once(client: Any, surveys: SurveyService) -> None:
    code = issue(surveys)[0]
    first = answer(client, {"answers": ANSWERS_OK, "code": code.lower().replace("-", "")})
    assert first.status_code == 201
    assert answer(client, {"answers": ANSWERS_OK, "code": code}).status_code == 200  # same key: retry
    second = answer(client, {"answers": ANSWERS_OK, "code": code}, key="another-key-2")
    assert second.status_code == 409 and second.json_body["code"] == "code_used"
    assert surveys.counters("quick-poll")["n"] == 1


def test_unknown_code_is_refused(client: Any, surveys: SurveyService) -> None:
    issue(surveys)
    r = answer(client, {"answers": ANSWERS_OK, "code": "K7M4-QX9P"})
    assert r.status_code == 400 and r.json_body == {
        "code": "unknown_code", "message": "This survey code is not valid for this survey.",
        "field": "code"}


def test_only_code_hashes_are_stored_and_responses_do_not_name_the_code(
        client: Any, surveys: SurveyService, ddb: Any, table: str) -> None:
    codes = issue(surveys)
    answer(client, {"answers": ANSWERS_OK, "code": codes[0]})
    dump = json.dumps(ddb.scan(TableName=table)["Items"], ensure_ascii=False)
    for c in codes:
        assert c not in dump and c.replace("-", "") not in dump
    assert code_hash(codes[0]) in dump
    resp = [i for i in ddb.scan(TableName=table)["Items"] if i["SK"]["S"].startswith("RESP#")]
    assert len(resp) == 1 and code_hash(codes[0]) not in json.dumps(resp)
    assert set(resp[0]) == {"PK", "SK", "answers", "day", "req"}


def test_fifty_concurrent_answers_with_one_code_count_once(surveys: SurveyService) -> None:
    code = issue(surveys, 1)[0]
    results: list[int] = []
    barrier = threading.Barrier(50)

    def send(i: int) -> None:
        barrier.wait()
        try:
            results.append(surveys.submit("quick-poll", {"answers": ANSWERS_OK, "code": code},
                                          f"concurrent-key-{i}", "10.0.0.1")[0])
        except Exception as exc:  # the API's answer for this request
            results.append(getattr(exc, "status", 500))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(201) == 1
    assert set(results) <= {201, 409, 429, 503}  # 429 once the misses pass the limit
    counters = surveys.counters("quick-poll")
    assert counters["n"] == 1 and counters["q:sat_clean:4"] == 1


def test_counters_equal_the_recount(surveys: SurveyService) -> None:
    codes = issue(surveys, 12)
    for i, code in enumerate(codes):
        body = {**ANSWERS_OK, "sat_clean": 1 + i % 5, "nps": i % 11}
        if body["sat_clean"] <= 2:
            body["why"] = ["不及时"] if i % 2 else ["不及时", "不干净"]
        if i % 3 == 0:
            body["note"] = f"意见{i}"
        assert surveys.submit("quick-poll", {"answers": body, "code": code}, f"k-{i:06d}", "ip")[0] == 201
    counters, recount = surveys.counters("quick-poll"), surveys.recount("quick-poll")
    assert counters == recount
    assert counters["n"] == 12 and counters["a:why"] == sum(1 + i % 5 <= 2 for i in range(12))


INVALID = [
    ({**ANSWERS_OK, "sat_clean": 6}, "answers.sat_clean", "invalid"),
    ({**ANSWERS_OK, "sat_clean": "4"}, "answers.sat_clean", "invalid"),
    ({**ANSWERS_OK, "imp_clean": 0}, "answers.imp_clean", "invalid"),
    ({**ANSWERS_OK, "nps": 11}, "answers.nps", "invalid"),
    ({**ANSWERS_OK, "nps": True}, "answers.nps", "invalid"),
    ({**ANSWERS_OK, "years": "十年"}, "answers.years", "invalid"),
    ({**ANSWERS_OK, "sat_clean": 1, "why": ["太吵"]}, "answers.why", "invalid"),
    ({**ANSWERS_OK, "sat_clean": 1, "why": ["不及时", "不及时"]}, "answers.why", "invalid"),
    ({**ANSWERS_OK, "why": ["不及时"]}, "answers.why", "not_shown"),
    ({**ANSWERS_OK, "note": "长" * 21}, "answers.note", "too_long"),
    ({**ANSWERS_OK, "note": "意见\x1b[31m"}, "answers.note", "invalid"),
    ({k: v for k, v in ANSWERS_OK.items() if k != "nps"}, "answers.nps", "required"),
    ({**ANSWERS_OK, "extra": 1}, "answers.extra", "unknown_field"),
]


@pytest.mark.parametrize(("answers", "field", "code"), INVALID,
                         ids=[f"{f}-{c}-{i}" for i, (_, f, c) in enumerate(INVALID)])
def test_every_question_type_is_validated(client: Any, surveys: SurveyService, answers: Any,
                                          field: str, code: str) -> None:
    codes = issue(surveys, 1)
    r = answer(client, {"answers": answers, "code": codes[0]})
    assert r.status_code == 400 and r.json_body["field"] == field and r.json_body["code"] == code
    assert "n" not in surveys.counters("quick-poll")


@pytest.mark.parametrize(("now", "status", "code"), [(1_793_000_000.0, 403, "not_open"),
                                                      (1_797_000_000.0, 410, "closed")])
def test_answers_outside_the_dates_are_refused(client: Any, surveys: SurveyService, now: float,
                                               status: int, code: str) -> None:
    surveys.clock = Clock(now)
    r = answer(client, {"answers": ANSWERS_OK, "code": "K7M4-QX9P"})
    assert r.status_code == status and r.json_body["code"] == code


def test_unknown_survey_is_a_404(client: Any) -> None:
    assert answer(client, {"answers": ANSWERS_OK}, survey="nope").status_code == 404


def test_open_surveys_have_a_honeypot_and_a_rate_limit(client: Any, surveys: SurveyService) -> None:
    assert answer(client, {"answers": ANSWERS_OK, "website": "x"}, survey="open-poll").json_body[
        "code"] == "honeypot"
    surveys.settings = Settings(secret=b"s", survey_rate_limit=2)
    assert [answer(client, {"answers": ANSWERS_OK}, key=f"open-key-{i}", survey="open-poll").status_code
            for i in range(3)] == [201, 201, 429]


# --- published results ----------------------------------------------------------------------

def results_file(n: int, counters: dict[str, int], texts: str = "texts: []") -> str:
    lines = [f"  '{k}': {v}" for k, v in counters.items()]
    return ("survey: quick-poll\npublished: '2026-12-05'\n"
            f"responses: {n}\ncounters:\n" + "\n".join(lines) + "\n" + texts + "\n")


COUNTS = {  # 10 responses, hand-made so the quadrants are known
    "n": 10, "a:sat_clean": 10, "q:sat_clean:5": 6, "q:sat_clean:4": 3, "q:sat_clean:2": 1,
    "a:imp_clean": 10, "q:imp_clean:5": 10,
    "a:sat_green": 10, "q:sat_green:4": 2, "q:sat_green:3": 4, "q:sat_green:2": 4,
    "a:imp_green": 10, "q:imp_green:3": 10,
    "a:years": 10, "q:years:1年以上": 10, "a:nps": 10, "q:nps:10": 5, "q:nps:8": 3, "q:nps:3": 2,
    "a:why": 1, "q:why:不及时": 1,
}


def test_results_page_with_quadrants_nps_and_hidden_small_counts(fixture_site: BuildFixture) -> None:
    site = fixture_site({
        "surveys/quick-poll.yml": SURVEY,
        "reports/surveys/quick-poll.yml": results_file(10, COUNTS, texts=(
            "texts:\n  - {question: note, text: 多种花, publish: true}\n"
            "  - {question: note, text: 3栋1502王先生电话138, publish: false}")),
    }, now="2026-12-06T09:00:00")
    html = site.page("surveys/quick-poll/results/")
    # clean: importance 5.00, satisfied 90 %; green: 3.00, 20 %; splits at 4.00 and 55 %
    quadrants = re.findall(r'<tr><td>\d+</td><th scope="row">([^<]+)</th><td>([\d.]+)</td>'
                           r'<td>([\d.]+)%</td>'
                           r'<td data-quadrant="(\w+)">', html)
    assert quadrants == [("清洁卫生", "5.00", "90.0", "strength"),
                         ("绿化养护", "3.00", "20.0", "secondary")]
    assert "<strong>+30.0</strong>" in html  # NPS: 50 % promoters − 20 % detractors
    assert "<strong>10.0%</strong>" in html  # 10 of 100 households
    assert "<strong>55.0%</strong>" in html  # overall: (9 + 2) / 20
    assert "回答少于 5 份，不公布。" in html  # 'why' had one answer
    assert "不及时" not in html
    assert "多种花" in html and "王先生" not in html
    assert 'role="img"' in html and "<caption>四分图数据</caption>" in html


def test_too_few_responses_hide_everything(fixture_site: BuildFixture) -> None:
    site = fixture_site({"surveys/quick-poll.yml": SURVEY,
                         "reports/surveys/quick-poll.yml": results_file(3, {"n": 3})},
                        now="2026-12-06T09:00:00")
    html = site.page("surveys/quick-poll/results/")
    assert "回收问卷少于 5 份，为保护参与者，不公布分项结果。" in html
    assert "portal-quadrant" not in html


def test_results_with_an_unknown_counter_fail_the_build(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({"surveys/quick-poll.yml": SURVEY,
                      "reports/surveys/quick-poll.yml": results_file(1, {"n": 1, "q:nps:12": 1})})
    assert ("  content/reports/surveys/quick-poll.yml: counters.q:nps:12: expected a counter of "
            "this survey's questions, found 'q:nps:12'") in str(caught.value).splitlines()


def test_example_surveys(example_site: Site) -> None:
    open_page = example_site.page("surveys/2026-satisfaction/")
    assert 'id="portal-survey"' in open_page and 'data-access="codes"' in open_page
    closed = example_site.page("surveys/2025-satisfaction/")
    assert "调查已于 2025-12-15 结束" in closed and 'href="results/"' in closed
    results = example_site.page("surveys/2025-satisfaction/results/")
    assert 'data-quadrant="improve"' in results
    assert "正在进行的调查" in example_site.page("")


def test_guessing_codes_is_rate_limited_without_revealing_them(client: Any,
                                                               surveys: SurveyService) -> None:
    issue(surveys, 1)
    surveys.settings = Settings(secret=b"s", miss_limit=3)
    statuses = [answer(client, {"answers": ANSWERS_OK, "code": f"K7M4-QX{c}P"}, key=f"guess-key-{c}")
                .status_code for c in "23456"]
    assert statuses == [400, 400, 400, 429, 429]


@pytest.mark.parametrize("spread", [0.0, 0.02, 0.3])
def test_quadrant_labels_never_overlap_even_when_items_crowd(spread: float) -> None:
    """Eight items at (nearly) the same spot: each label goes where it overlaps no other
    label, dot or quadrant name, or becomes the item's number from the table beside."""
    from portal.features.surveys.results import FONT, Charts, ItemPoint, ResultsView, text_width
    from portal.i18n import Translator

    names = ["清洁卫生", "绿化养护", "安全秩序", "报修维修", "客服接待", "停车管理", "设施设备",
             "社区活动"]
    points = [ItemPoint(n, 4.0 + spread * i, 70 + 10 * spread * i, "strength")
              for i, n in enumerate(names)]
    view = ResultsView(defs.parse(yaml.safe_load(SURVEY), "quick-poll"), 100, 50.0, False, [],
                       70.0, 10.0, points, 4.0, 70.0)
    svg = str(Charts(view, Translator()).quadrant())
    labels = re.findall(r'<text x="([\d.]+)" y="([\d.]+)"(?: class="portal-quadrant__name")?>'
                        r'([^<]+)</text>', svg)
    boxes = [(float(x), float(y) - FONT, text_width(s), FONT) for x, y, s in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3]
                        and b[1] < a[1] + a[3]), (labels[boxes.index(a)], labels[boxes.index(b)])
    shown = {s for _, _, s in labels}
    for n, name in enumerate(names, start=1):
        assert name in shown or str(n) in shown  # every dot is named or numbered


@pytest.mark.parametrize("rel", ["surveys/quick-poll.yml", "reports/surveys/quick-poll.yml",
                                 "reports/suggestions/2026-10.yml"])
def test_an_empty_file_is_a_problem_not_nothing(fixture_site: BuildFixture, rel: str) -> None:
    """An empty (or `null`) definition, results or summary file is reported, never skipped."""
    files = {"surveys/quick-poll.yml": SURVEY, rel: "# nothing yet\nnull\n"}
    with pytest.raises(BuildFailed) as caught:
        fixture_site(files)
    assert (f"  content/{rel}: (file): expected a mapping of field: value, found nothing"
            in str(caught.value).splitlines())
