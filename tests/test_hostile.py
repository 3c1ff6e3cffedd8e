"""Hostile input: generated and hand-written requests never get a 5xx, and what owners
write is stored as text and shown escaped everywhere (status page, staff CLI, reports)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
import stress  # scripts/stress.py: the load and fault library the stress command runs
import yaml
from botocore.stub import Stubber

from conftest import MESSAGE, ROOT, BuildFixture, Clock, Server, app_client, post, serving
from portal_contracts import surveys
from portal_domain.cases import CaseService
from portal_domain.receipts import digest
from portal_domain.settings import Settings
from portal_domain.store import Store
from portal_domain.surveys import SurveyService

OPEN = surveys.parse(yaml.safe_load(stress.OPEN_SURVEY))
CODES = surveys.parse({**yaml.safe_load(stress.OPEN_SURVEY), "id": "codes-survey",
                       "access": "codes"})
ANSWERS = {"years": "1到3年", "sat_service": 4, "imp_service": 5, "nps": 9}
XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'


def error_code(r: Any) -> str:
    """The JSON error code of a response (fails the test when there is none)."""
    assert r.headers["Content-Type"].startswith("application/json")
    body = json.loads(r.body)
    assert isinstance(body["code"], str) and body["message"]
    return str(body["code"])


@pytest.fixture
def surveys_on(service: CaseService) -> Iterator[SurveyService]:
    """The survey side of `api_client`, with an open and a code survey of our own."""
    svc = SurveyService(service.store, service.settings, {OPEN.id: OPEN, CODES.id: CODES},
                        service.clock)
    with serving(service, svc):
        yield svc


# --- generated requests (schemathesis) -----------------------------------------------------

@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with stress.stack(tmp_path_factory.mktemp("hostile")) as s:
        yield s


def test_generated_requests_never_get_a_5xx_and_every_error_has_a_code(live_api: Any) -> None:
    report = stress.fuzz(live_api.url, per_operation=100)
    assert report.failures == []
    assert set(report.cases) == {"submitSuggestion", "followSuggestion", "rateSuggestion",
                                 "answerSurvey"}
    assert all(n >= 100 for n in report.cases.values())
    assert any(200 <= s < 300 for s in report.statuses)  # the positive cases reach the store


# --- hand-written hostile requests ---------------------------------------------------------

LONG = "长" * 6000  # 18 KB of UTF-8


@pytest.mark.parametrize(("body", "ctype", "status", "code"), [
    (json.dumps({**MESSAGE, "body": LONG}, ensure_ascii=False).encode(), "application/json", 413,
     "too_large"),
    (json.dumps(MESSAGE).encode(), "text/plain", 415, "unsupported_media_type"),
    (b"kind=complaint&category=noise", "application/x-www-form-urlencoded", 415,
     "unsupported_media_type"),
    (b"<suggestion/>", "application/xml", 415, "unsupported_media_type"),
    (json.dumps(MESSAGE).encode(), "", 415, "unsupported_media_type"),
    (b'{"kind": "complaint", "subject": "\xff\xfe\xfd"}', "application/json", 400,
     "invalid_encoding"),
    (b'{"kind": "complaint", "category": "noise", "subject": "ab\\ud800cd", "body": "hello there"}',
     "application/json", 400, "invalid_encoding"),   # a lone surrogate: was a 500
    (b"[" * 8000 + b"]" * 8000, "application/json", 400, "invalid_json"),
    (b'{"a":' * 2000 + b"1" + b"}" * 2000, "application/json", 400, "invalid_json"),
    (json.dumps({**MESSAGE, "subject": {"a": [[[[{"b": 1}]]]]}}).encode(), "application/json", 400,
     "invalid"),
    (b'{"kind": NaN}', "application/json", 400, "invalid_json"),
    (b'{"kind": Infinity}', "application/json", 400, "invalid_json"),
    (b'{"kind": ' + b"9" * 5000 + b"}", "application/json", 400, "invalid_json"),
    ((json.dumps(MESSAGE)[:-1] + ', "anonymous": 1e999}').encode(), "application/json", 400,
     "invalid"),
    (json.dumps({**MESSAGE, "kind": "c\u043emplaint"}).encode(), "application/json", 400, "invalid"),
    (json.dumps({**MESSAGE, "category": "n\u043eise"}).encode(), "application/json", 400, "invalid"),
    (json.dumps({**MESSAGE, "contact": {"phone": "１３８ ００００ １２３４"}}).encode(),
     "application/json", 400, "invalid"),
    (json.dumps({**MESSAGE, "subject": "a\u0000b\u001b[2J"}).encode(), "application/json", 400,
     "invalid"),
    (b"", "application/json", 400, "invalid_json"),
    (b"null", "application/json", 400, "invalid"),
])
def test_hostile_suggestion_bodies_get_a_4xx_with_a_code(
        api_client: Any, ddb: Any, table: str, body: bytes, ctype: str, status: int,
        code: str) -> None:
    headers = {"Idempotency-Key": "hostile-key-1"}
    if ctype:
        headers["Content-Type"] = ctype
    r = api_client.http.post("/suggestions", headers=headers, body=body)
    assert (r.status_code, error_code(r)) == (status, code)
    assert ddb.scan(TableName=table)["Count"] == 0  # nothing stored


@pytest.mark.parametrize("answers", [
    {**ANSWERS, "nps": 10 ** 40}, {**ANSWERS, "nps": 1e308}, {**ANSWERS, "nps": True},
    {**ANSWERS, "years": "1到3年\u200b"}, {**ANSWERS, "why": [[["速度"]]]},
    {**ANSWERS, "comment": "长" * 501}, {**ANSWERS, "<script>": 1}, "answers", [ANSWERS],
])
def test_hostile_survey_answers_get_a_400(api_client: Any, surveys_on: SurveyService,
                                          answers: Any) -> None:
    r = post(api_client, {"answers": answers}, key="hostile-survey-1",
             path=f"/surveys/{OPEN.id}/responses")
    assert r.status_code == 400 and error_code(r).startswith(("invalid", "unknown", "too_long"))


@pytest.mark.parametrize("receipt", [
    "K7M4-QX9\u0420",             # Cyrillic Р
    "\u041a7M4-QX9P",             # Cyrillic К
    "K7M4-QX9P\u200b",            # zero-width space
    "Ｋ７Ｍ４-ＱＸ９Ｐ",                # full-width
    "K7M4-QX9P' OR '1'='1",
    "..%2F..%2Fetc%2Fpasswd",
])
def test_homoglyph_and_odd_receipts_are_refused_not_looked_up(api_client: Any,
                                                              receipt: str) -> None:
    from urllib.parse import quote

    r = api_client.http.get("/suggestions/" + quote(receipt, safe=""))
    assert r.status_code in (400, 404) and error_code(r) in ("invalid", "not_found")


def test_a_homoglyph_survey_code_is_refused(api_client: Any, surveys_on: SurveyService) -> None:
    r = post(api_client, {"answers": ANSWERS, "code": "K7M4-QX9\u0420"}, key="hostile-code-1",
             path=f"/surveys/{CODES.id}/responses")
    assert r.status_code == 400 and error_code(r) == "invalid"


def test_html_in_text_fields_is_stored_and_answered_as_plain_text(
        api_client: Any, service: CaseService, ddb: Any, table: str) -> None:
    body = {**MESSAGE, "subject": "<b>灯</b>" + XSS[:40], "body": XSS, "building": "<i>3栋</i>"}
    r = post(api_client, body, key="hostile-html-1")
    assert r.status_code == 201
    receipt = r.json_body["receipt"]
    stored = ddb.get_item(TableName=table, Key={"PK": {"S": f"CASE#{receipt}"},
                                                "SK": {"S": "CASE"}})["Item"]
    assert stored["body"]["S"] == XSS  # as typed: escaping is the job of whoever shows it
    service.set_status(receipt, "resolved", XSS)
    view = api_client.http.get(f"/suggestions/{receipt}")
    assert view.headers["Content-Type"].startswith("application/json")
    assert view.json_body["reply"] == XSS


# --- survey fault paths (botocore Stubber) -------------------------------------------------

@pytest.fixture
def stubbed_surveys() -> Iterator[tuple[Stubber, Any]]:
    client = boto3.client("dynamodb", region_name="ap-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    svc = SurveyService(Store("t", client), Settings(secret=b"s"), {CODES.id: CODES}, Clock())
    stub = Stubber(client)
    with stub:
        for api in app_client(surveys=svc):
            yield stub, api
    stub.assert_no_pending_responses()


def cancelled(stub: Stubber, *reasons: str) -> None:
    stub.add_client_error(
        "transact_write_items", service_error_code="TransactionCanceledException",
        http_status_code=400, response_meta={},
        modeled_fields={"CancellationReasons": [{"Code": r} for r in reasons]})


def answer(api: Any) -> Any:
    return post(api, {"answers": ANSWERS, "code": "K7M4-QX9P"}, key="survey-key-1",
                path=f"/surveys/{CODES.id}/responses")


def test_survey_code_already_used_is_a_409(stubbed_surveys: tuple[Stubber, Any]) -> None:
    stub, api = stubbed_surveys
    cancelled(stub, "None", "ConditionalCheckFailed", "None", "None")
    stub.add_response("update_item", {"Attributes": {"n": {"N": "1"}}})  # the miss counted
    stub.add_response("get_item", {"Item": {"PK": {"S": "SURVEY#codes-survey"},
                                            "SK": {"S": "CODE#x"}, "used": {"BOOL": True}}})
    r = answer(api)
    assert r.status_code == 409 and error_code(r) == "code_used"


def test_unknown_survey_code_is_a_400(stubbed_surveys: tuple[Stubber, Any]) -> None:
    stub, api = stubbed_surveys
    cancelled(stub, "None", "ConditionalCheckFailed", "None", "None")
    stub.add_response("update_item", {"Attributes": {"n": {"N": "1"}}})  # the miss counted
    stub.add_response("get_item", {})
    r = answer(api)
    assert r.status_code == 400 and error_code(r) == "unknown_code"


def test_survey_response_already_stored_is_replayed_as_200(
        stubbed_surveys: tuple[Stubber, Any]) -> None:
    stub, api = stubbed_surveys
    # The code was used by this very response: both conditions fail, the response names it.
    cancelled(stub, "None", "ConditionalCheckFailed", "ConditionalCheckFailed", "None")
    clean = surveys.check_answers(CODES, ANSWERS)
    req = digest(json.dumps(clean, sort_keys=True, ensure_ascii=False))
    stub.add_response("get_item", {"Item": {"PK": {"S": "SURVEY#codes-survey"},
                                            "SK": {"S": "RESP#x"}, "req": {"S": req}}})
    r = answer(api)
    assert r.status_code == 200 and r.json_body == {"status": "recorded", "survey": CODES.id}


def test_survey_key_reused_for_other_answers_is_a_422(stubbed_surveys: tuple[Stubber, Any]) -> None:
    stub, api = stubbed_surveys
    cancelled(stub, "None", "None", "ConditionalCheckFailed", "None")
    stub.add_response("get_item", {"Item": {"PK": {"S": "SURVEY#codes-survey"},
                                            "SK": {"S": "RESP#x"}, "req": {"S": "other"}}})
    r = answer(api)
    assert r.status_code == 422 and error_code(r) == "idempotency_key_reused"


@pytest.mark.parametrize("reasons", [("None", "None", "None", "ThrottlingError"),
                                     ("None", "TransactionConflict", "None", "None")])
def test_survey_transaction_throttled_is_a_503(stubbed_surveys: tuple[Stubber, Any],
                                               reasons: tuple[str, ...]) -> None:
    stub, api = stubbed_surveys
    cancelled(stub, *reasons)
    r = answer(api)
    assert r.status_code == 503 and r.headers["Retry-After"] and error_code(r) == "unavailable"


@pytest.mark.parametrize("error", ["ThrottlingException", "ProvisionedThroughputExceededException",
                                   "InternalServerError"])
def test_survey_throttled_call_is_a_503(stubbed_surveys: tuple[Stubber, Any], error: str) -> None:
    stub, api = stubbed_surveys
    stub.add_client_error("transact_write_items", service_error_code=error, http_status_code=400)
    r = answer(api)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"


# --- no personal data in logs --------------------------------------------------------------

PRIVATE = {"name": "隐私测试王", "phone": "139 8765 4321", "email": "secret.owner@example.org"}
UNIT = "1502室PII"
SECRET_TEXT = "只有业主知道的秘密内容XYZ"


def test_logs_carry_no_personal_data_even_on_an_internal_error(
        api_client: Any, service: CaseService, surveys_on: SurveyService,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO)  # what Lambda ships to CloudWatch (app.log is INFO)
    body = {**MESSAGE, "body": SECRET_TEXT, "unit": UNIT, "contact": PRIVATE}
    assert post(api_client, body, key="pii-key-0001").status_code == 201
    assert post(api_client, body, key="pii-key-0001").status_code == 200
    assert post(api_client, {**body, "subject": "x"}, key="pii-key-0002").status_code == 400

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"boom {args!r}")  # an error whose message quotes the owner

    monkeypatch.setattr(service.store, "create_case", explode)
    monkeypatch.setattr(service.store, "record_survey_answer", explode)
    r = post(api_client, body, key="pii-key-0003")
    assert r.status_code == 500 and error_code(r) == "internal"
    r = post(api_client, {"answers": {**ANSWERS, "comment": SECRET_TEXT}}, key="pii-key-0004",
             path=f"/surveys/{OPEN.id}/responses")
    assert r.status_code == 500 and SECRET_TEXT not in r.body.decode()
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "unhandled RuntimeError in submit_suggestion" in logged  # the error type is logged
    assert "unhandled RuntimeError in answer_survey" in logged
    for secret in [*PRIVATE.values(), UNIT, SECRET_TEXT, "boom"]:
        assert secret not in logged


# --- shown escaped everywhere --------------------------------------------------------------

@pytest.mark.usefixtures("local_credentials")
def test_staff_cli_strips_control_characters_and_escapes(service: CaseService) -> None:
    from portal_staff.cases import main

    code, receipt = service.submit({**MESSAGE, "subject": "灯坏了\u009b2J\u202etxt.exe",
                                    "body": "楼道灯\u2028坏了" + XSS}, "cli-key-0001", "1.2.3.4")
    assert code == 201
    service.set_status(receipt["receipt"], "resolved", "已修好")
    # Staff-side text can carry anything (written by another tool, pasted from a chat).
    case = service.store.case(receipt["receipt"])
    assert case is not None
    service.store.update_case(receipt["receipt"], case.version,
                              {"reply": "\x1b[2J\x1b[31m清屏\x07",
                               "department": "工程部\x1b]0;title\x07"})
    outputs = []
    for args in (["show", receipt["receipt"]], ["list", "--month", "2026-11"]):
        out = io.StringIO()
        assert main(["--table", service.store.table, "--endpoint",
                     service.store.client.meta.endpoint_url, *args], out=out,
                    now=datetime(2026, 12, 1, 9, 0)) == 0
        outputs.append(out.getvalue())
    assert "灯坏了" in outputs[0] and "灯坏了" in outputs[1]
    for text in outputs:
        for bad in ("\x1b", "\x9b", "\x07", "\u202e", "\u2028"):
            assert bad not in text


def test_published_reports_escape_owner_text(fixture_site: BuildFixture) -> None:
    survey = (ROOT / "content" / "surveys" / "2025-satisfaction.yml").read_text(encoding="utf-8")
    results = yaml.safe_load((ROOT / "content" / "reports" / "surveys" / "2025-satisfaction.yml")
                             .read_text(encoding="utf-8"))
    results["texts"] = [{**results["texts"][0], "text": XSS, "publish": True}]
    month = yaml.safe_load((ROOT / "content" / "reports" / "suggestions" / "2026-10.yml")
                           .read_text(encoding="utf-8"))
    month["by_category"]["<script>window.__xss=3</script>"] = 1
    site = fixture_site({
        "surveys/2025-satisfaction.yml": survey,
        "reports/surveys/2025-satisfaction.yml": yaml.safe_dump(results, allow_unicode=True),
        "reports/suggestions/2026-10.yml": yaml.safe_dump(month, allow_unicode=True),
    })
    pages = "\n".join(p.read_text(encoding="utf-8") for p in site.root.rglob("*.html"))
    assert "&lt;img src=x onerror=" in pages           # the comment is shown, as text
    assert "&lt;script&gt;window.__xss=3" in pages     # so is the odd category
    assert "<img src=x" not in pages and "<script>window.__xss" not in pages


@pytest.mark.browser
def test_status_page_shows_a_hostile_reply_as_text(browser: Any, portal_stack: tuple[Server, str],
                                                   ddb: Any) -> None:
    server, table = portal_stack
    service = CaseService(Store(table, ddb), Settings(secret=b"hostile-browser", rate_limit=1000))
    receipt = service.submit({**MESSAGE, "subject": XSS[:60]}, "browser-xss-1", "9.9.9.9")[1]["receipt"]
    service.set_status(receipt, "resolved", XSS)
    page = browser.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(server.url + f"suggestions/status/?code={receipt}")
    page.get_by_text('<img src=x onerror="window.__xss=1').first.wait_for(timeout=10_000)
    page.wait_for_timeout(300)  # time for an injected handler to run, were there one
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.locator("main img[src='x'], main script:has-text('__xss')").count() == 0
    page.close()
