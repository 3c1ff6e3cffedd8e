"""An owner sends a message from the built site to `chalice local` and DynamoDB Local."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Server, artifact, axe_problems

pytestmark = pytest.mark.browser


def fill(page: Any) -> None:
    page.get_by_label("投诉").check()
    page.get_by_label("类别").select_option("noise")
    page.locator("#f-subject").fill("夜间施工噪音")
    page.locator("#f-body").fill("3栋旁边工地晚上十一点还在施工，影响老人休息。")
    page.get_by_label("楼栋（选填）").select_option("3栋")
    page.get_by_label("电话").fill("138 0000 1234")


def cases(ddb: Any, table: str) -> list[dict[str, Any]]:
    return [i for i in ddb.scan(TableName=table)["Items"] if i["SK"]["S"] == "CASE"]


def test_send_a_complaint_get_a_receipt_and_follow_it(browser: Any, portal_stack: tuple[Server, str],
                                                      ddb: Any) -> None:
    server, table = portal_stack
    before = len(cases(ddb, table))
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                              locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "suggestions/")
    assert axe_problems(page) == []
    fill(page)
    page.get_by_role("button", name="提交").click()
    code = page.locator("[data-receipt]")
    code.wait_for(timeout=10_000)
    receipt = code.inner_text()
    assert len(receipt) == 9 and receipt[4] == "-"
    assert "24 小时内" in page.locator("#portal-receipt").inner_text()
    page.screenshot(path=str(artifact("phone-360-suggestion-receipt.png")), full_page=True)
    stored = cases(ddb, table)
    assert len(stored) == before + 1
    assert any(c["receipt"]["S"] == receipt and c["subject"]["S"] == "夜间施工噪音" for c in stored)

    page.get_by_role("link", name="查看处理进度").click()
    page.locator("#portal-case").wait_for(timeout=10_000)
    assert page.locator("[data-status]").inner_text() == "已受理"
    assert "138" not in page.locator("#portal-case").inner_text()
    assert axe_problems(page) == []
    page.screenshot(path=str(artifact("phone-360-suggestion-status.png")), full_page=True)
    assert page.evaluate("localStorage.getItem('portal.suggestion.draft')") is None
    ctx.close()


def test_validation_messages_are_in_chinese_and_nothing_is_sent(
        browser: Any, portal_stack: tuple[Server, str], ddb: Any) -> None:
    server, table = portal_stack
    before = len(cases(ddb, table))
    page = browser.new_page(locale="zh-CN")
    page.goto(server.url + "suggestions/")
    page.locator("#f-subject").fill("噪")
    page.get_by_role("button", name="提交").click()
    assert page.locator("#err-kind").inner_text() == "请选择一项。"
    assert page.locator("#err-subject").inner_text() == "内容太短。"
    assert page.locator("#err-body").inner_text() == "请填写此项。"
    assert page.locator("#f-subject").get_attribute("aria-invalid") == "true"
    assert len(cases(ddb, table)) == before
    page.close()


def test_a_lost_answer_is_retried_with_the_same_key_and_stored_once(
        browser: Any, portal_stack: tuple[Server, str], ddb: Any) -> None:
    """The first request reaches the API but its answer is lost; the retry returns the same case."""
    server, table = portal_stack
    before = len(cases(ddb, table))
    page = browser.new_page(locale="zh-CN")
    calls: list[str] = []

    def lose_first_answer(route: Any) -> None:
        calls.append(route.request.headers.get("idempotency-key", ""))
        if len(calls) == 1:
            route.fetch()  # the case is stored …
            route.abort("connectionreset")  # … but the owner's phone never hears back
        else:
            route.continue_()

    page.route("**/suggestions", lose_first_answer)
    page.goto(server.url + "suggestions/")
    fill(page)
    page.get_by_role("button", name="提交").click()
    page.locator("[data-receipt]").wait_for(timeout=15_000)
    assert len(calls) == 2 and calls[0] == calls[1] and len(calls[0]) >= 8
    assert len(cases(ddb, table)) == before + 1
    page.close()


def test_offline_draft_survives_a_reload_and_is_sent_once_online(
        browser: Any, portal_stack: tuple[Server, str], ddb: Any) -> None:
    server, table = portal_stack
    before = len(cases(ddb, table))
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "suggestions/")
    fill(page)
    ctx.set_offline(True)
    page.get_by_role("button", name="提交").click()
    page.get_by_text("网络不稳定").wait_for(timeout=5_000)
    draft = page.evaluate("JSON.parse(localStorage.getItem('portal.suggestion.draft'))")
    assert draft["pending"] is True and draft["body"]["subject"] == "夜间施工噪音"
    ctx.set_offline(False)
    page.reload()  # the owner closes and reopens the page
    assert page.locator("#f-subject").input_value() == "夜间施工噪音"
    page.locator("[data-receipt]").wait_for(timeout=15_000)
    time.sleep(0.5)
    assert len(cases(ddb, table)) == before + 1
    ctx.close()


def test_receipt_from_a_link_opens_the_case(browser: Any, portal_stack: tuple[Server, str]) -> None:
    server, _ = portal_stack
    page = browser.new_page(locale="zh-CN")
    page.goto(server.url + "suggestions/status/?code=k7m4qx9p")
    page.get_by_text("没有找到这个回执码").wait_for(timeout=5_000)
    page.close()


def test_api_url_is_baked_into_the_page(portal_stack: tuple[Server, str]) -> None:
    server, _ = portal_stack
    html = (Path(server.root) / "suggestions" / "index.html").read_text(encoding="utf-8")
    assert 'data-api="http://127.0.0.1:' in html


def test_a_key_refused_for_another_message_is_replaced_not_stuck(
        browser: Any, portal_stack: tuple[Server, str]) -> None:
    """After an edit the old key may be refused (422): the page takes a new key and sends."""
    server, _ = portal_stack
    page = browser.new_page(locale="zh-CN")
    keys: list[str] = []

    def refuse_first(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fulfill(status=422, content_type="application/json",
                          body='{"code": "idempotency_key_reused", "message": "x", '
                               '"field": "Idempotency-Key"}')
        else:
            route.continue_()

    page.route("**/suggestions", refuse_first)
    page.goto(server.url + "suggestions/")
    fill(page)
    page.get_by_role("button", name="提交").click()
    page.locator("[data-receipt]").wait_for(timeout=10_000)
    assert len(keys) == 2 and keys[0] != keys[1]
    page.close()
