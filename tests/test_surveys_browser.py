"""A household opens the survey from the QR code on its fee notice, answers and submits."""

from __future__ import annotations

from typing import Any

import pytest
import segno

from conftest import Server, artifact, axe_problems, example_surveys
from portal_domain.settings import Settings
from portal_domain.store import Store
from portal_domain.surveys import SurveyService

pytestmark = pytest.mark.browser


@pytest.fixture
def code(portal_stack: tuple[Server, str], ddb: Any) -> str:
    _, table = portal_stack
    service = SurveyService(Store(table, ddb), Settings(secret=b"x"), example_surveys())
    return service.issue_codes("2026-satisfaction", 1)[0]


def answer_everything(page: Any) -> None:
    page.locator("[data-question='years'] input[value='3到5年']").check()
    for fs in page.locator("fieldset[data-kind='rating'], fieldset[data-kind='importance']").all():
        fs.locator("input[value='4']").check()
    page.locator("[data-question='nps'] input[value='9']").check()


def test_open_from_the_qr_code_answer_and_submit(browser: Any, portal_stack: tuple[Server, str],
                                                 code: str, ddb: Any) -> None:
    server, table = portal_stack
    url = f"{server.url}surveys/2026-satisfaction/?code={code}"
    assert segno.make(url).designator  # the printed sheet encodes exactly this address
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                              locale="zh-CN")
    page = ctx.new_page()
    page.goto(url)
    assert page.locator("#f-code").input_value() == code
    assert axe_problems(page) == []
    # the follow-up question appears only for a low repair rating
    assert page.locator("[data-question='repairs_why']").is_hidden()
    page.locator("[data-question='sat_repairs'] input[value='2']").check()
    assert page.locator("[data-question='repairs_why']").is_visible()
    answer_everything(page)
    assert page.locator("[data-question='repairs_why']").is_hidden()
    assert "已答 " in page.locator("[data-progress-text]").inner_text()
    page.get_by_role("button", name="提交问卷").click()
    page.locator("#portal-thanks").wait_for(timeout=10_000)
    page.screenshot(path=str(artifact("phone-360-survey-thanks.png")))
    counters = [i for i in ddb.scan(TableName=table)["Items"]
                if i["PK"]["S"] == "SURVEY#2026-satisfaction" and i["SK"]["S"].startswith("COUNT#")]
    assert sum(int(c["n"]["N"]) for c in counters) >= 1
    # the same code a second time is refused with a message in Chinese
    page.goto(url)
    answer_everything(page)
    page.get_by_role("button", name="提交问卷").click()
    page.get_by_text("这个问卷码已经用过了").wait_for(timeout=10_000)
    ctx.close()


def test_missing_answers_are_marked(browser: Any, portal_stack: tuple[Server, str]) -> None:
    server, _ = portal_stack
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{server.url}surveys/2026-satisfaction/")
    page.get_by_role("button", name="提交问卷").click()
    assert page.locator("#err-code").inner_text().startswith("问卷码是 8 位")
    assert page.locator("[id='err-answers.years']").inner_text() == "请回答此题。"
    page.close()


@pytest.mark.parametrize("path", ["surveys/", "surveys/2025-satisfaction/results/"])
def test_survey_pages_are_accessible(page: Any, site_server: Server, path: str) -> None:
    page.goto(site_server.url + path)
    assert axe_problems(page) == []
    page.screenshot(path=str(artifact(f"survey-{path.strip('/').replace('/', '-')}.png")),
                    full_page=True)
