"""The staff API (工单台's back end): sign-in checked by the API itself, roles, the whole
case loop, two staff on one case, and what the owner's status page shows afterwards."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from issuer import forged

from conftest import MESSAGE, Clock, post
from portal_domain.auth import AuthSettings, ConfigError
from portal_domain.cases import CaseService

ROUTES = [("GET", "/staff/me"), ("GET", "/staff/cases"), ("POST", "/staff/cases"),
          ("GET", "/staff/cases/K7M4-QX9P"), ("POST", "/staff/cases/K7M4-QX9P/reply"),
          ("GET", "/staff/replies"), ("PUT", "/staff/replies/thanks"),
          ("DELETE", "/staff/replies/thanks"), ("GET", "/staff/figures")]


def call(client: Any, method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    raw = json.dumps(body or {}, ensure_ascii=False).encode() if method != "GET" else None
    return getattr(client.http, method.lower())(path, headers=headers, body=raw) \
        if raw is not None else client.http.get(path, headers=headers)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_staff_route_refuses_a_token_it_cannot_trust(staff_client: Any, issuer: Any,
                                                           method: str, path: str) -> None:
    for what, token in forged(issuer).items():
        r = call(staff_client, method, path, token, {"version": 1, "text": "x"})
        assert r.status_code == 401, (what, r.status_code, r.body)
        assert r.json_body["code"] == "unauthorized" and "Bearer" in r.headers["WWW-Authenticate"]


def test_roles_decide_what_a_token_may_do(staff_client: Any, issuer: Any) -> None:
    clerk = issuer.token(["clerk"])
    assert call(staff_client, "GET", "/staff/figures", clerk).status_code == 403
    assert call(staff_client, "PUT", "/staff/replies/thanks", clerk,
                {"title": "致谢", "text": "感谢您的支持。"}).status_code == 403
    nobody = issuer.token([])
    assert call(staff_client, "GET", "/staff/cases", nobody).status_code == 403
    manager = issuer.token(["manager"], username="boss")
    assert call(staff_client, "GET", "/staff/figures", manager).status_code == 200
    assert call(staff_client, "POST", "/staff/cases", manager,
                {**MESSAGE, "channel": "phone"}).status_code == 403


def enter(client: Any, token: str, **changes: Any) -> str:
    r = call(client, "POST", "/staff/cases", token, {**MESSAGE, "channel": "phone", **changes})
    assert r.status_code == 201, r.body
    return str(r.json_body["receipt"])


def act(client: Any, token: str, receipt: str, action: str, **data: Any) -> Any:
    if "version" not in data:
        data["version"] = call(client, "GET", f"/staff/cases/{receipt}", token).json_body["version"]
    return call(client, "POST", f"/staff/cases/{receipt}/{action}", token, data)


def test_the_whole_loop_and_what_the_owner_sees(staff_client: Any, api_client: Any,
                                                issuer: Any, clock: Clock) -> None:
    clerk = issuer.token(["clerk"], username="li.clerk")
    receipt = enter(staff_client, clerk)
    clock.now += 25 * 3600  # a complaint is due within 24 h
    queue = call(staff_client, "GET", "/staff/cases?overdue=1", clerk).json_body["cases"]
    assert [c["receipt"] for c in queue] == [receipt] and queue[0]["overdue"] is True
    assert "contact" not in queue[0]
    detail = call(staff_client, "GET", f"/staff/cases/{receipt}", clerk).json_body
    assert detail["contact"]["phone"] == "138 0000 1234" and detail["channel"] == "phone"
    assert act(staff_client, clerk, receipt, "grade", grade=2).status_code == 200
    r = act(staff_client, clerk, receipt, "assign", department="工程部", assignee="王师傅")
    assert r.json_body["status"] == "assigned" and r.json_body["assignee"] == "王师傅"
    assert act(staff_client, clerk, receipt, "note", text="业主情绪激动，先电话安抚").status_code == 200
    bad = act(staff_client, clerk, receipt, "reply", text="这不归我们管。")
    assert bad.status_code == 400 and bad.json_body["code"] == "forbidden_phrase"
    r = act(staff_client, clerk, receipt, "reply", text="已安排施工方晚十点后停工。",
            status="resolved")
    assert r.status_code == 200 and r.json_body["status"] == "resolved"
    early = act(staff_client, clerk, receipt, "close")
    assert early.status_code == 409 and early.json_body["code"] == "no_follow_up"
    assert act(staff_client, clerk, receipt, "followup", result="unreachable",
               retry_at="2026-11-25T10:00").json_body["next_followup_at"]
    r = act(staff_client, clerk, receipt, "followup", result="dissatisfied", note="仍有噪音")
    assert r.json_body["status"] == "in_progress" and r.json_body["reopened"] == 1
    act(staff_client, clerk, receipt, "reply", text="已与施工方签订夜间停工承诺。", status="resolved")
    act(staff_client, clerk, receipt, "followup", result="satisfied", note="业主满意")
    closed = act(staff_client, clerk, receipt, "close")
    assert closed.status_code == 200 and closed.json_body["status"] == "closed"
    assert call(staff_client, "GET", "/staff/cases", clerk).json_body["cases"] == []
    # the owner's status page: the replies and the steps, never a name or an internal note
    view = api_client.http.get(f"/suggestions/{receipt}").json_body
    text = json.dumps(view, ensure_ascii=False)
    assert view["reply"] == "已与施工方签订夜间停工承诺。" and view["status"] == "closed"
    for hidden in ("li.clerk", "王师傅", "业主情绪激动", "仍有噪音", "\"by\"", "internal"):
        assert hidden not in text
    # every change names who made it, for staff
    timeline = call(staff_client, "GET", f"/staff/cases/{receipt}", clerk).json_body["timeline"]
    assert {t["by"] for t in timeline} == {"li.clerk"}


def test_the_second_of_two_concurrent_edits_gets_409(staff_client: Any, issuer: Any) -> None:
    clerk = issuer.token(["clerk"])
    receipt = enter(staff_client, clerk)
    version = call(staff_client, "GET", f"/staff/cases/{receipt}", clerk).json_body["version"]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def edit(text: str) -> None:
        barrier.wait()
        results.append(act(staff_client, clerk, receipt, "note", text=text,
                           version=version).status_code)

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("甲的备注", "乙的备注")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    stale = act(staff_client, clerk, receipt, "grade", grade=1, version=version)
    assert stale.status_code == 409 and "reload" in stale.json_body["message"]


def test_a_department_sees_only_its_own_cases(staff_client: Any, issuer: Any) -> None:
    clerk = issuer.token(["clerk"])
    mine, other = enter(staff_client, clerk), enter(staff_client, clerk, subject="另一件事")
    act(staff_client, clerk, mine, "assign", department="工程部")
    act(staff_client, clerk, other, "assign", department="环境部")
    engineering = issuer.token(["department-engineering"], username="eng1")
    listed = call(staff_client, "GET", "/staff/cases", engineering).json_body["cases"]
    assert [c["receipt"] for c in listed] == [mine]
    assert call(staff_client, "GET", f"/staff/cases/{other}", engineering).status_code == 404
    assert act(staff_client, clerk, mine, "reply", text="师傅明早上门。").status_code == 200
    r = act(staff_client, engineering, mine, "reply", text="已更换水泵，请试用。", status="resolved")
    assert r.status_code == 200
    assert act(staff_client, engineering, mine, "close").status_code == 403
    for status in ("closed", "received", "assigned"):  # nor by the back door of a status
        assert act(staff_client, engineering, mine, "status", status=status).status_code == 403
    for action, data in (("grade", {"grade": 1}), ("assign", {"department": "环境部"}),
                         ("followup", {"result": "satisfied"})):
        assert act(staff_client, engineering, mine, action, **data).status_code == 403
        manager = issuer.token(["manager"], username="boss")
        assert act(staff_client, manager, mine, action, **data).status_code == 403


def test_a_closed_case_is_final_and_a_reopened_one_needs_a_new_follow_up(
        staff_client: Any, issuer: Any) -> None:
    clerk = issuer.token(["clerk"])
    receipt = enter(staff_client, clerk)
    act(staff_client, clerk, receipt, "reply", text="已处理。", status="resolved")
    act(staff_client, clerk, receipt, "followup", result="satisfied")
    # moved on after the follow-up: closing needs a new one
    act(staff_client, clerk, receipt, "reply", text="补充：明天再复查一次。", status="in_progress")
    act(staff_client, clerk, receipt, "reply", text="已复查，一切正常。", status="resolved")
    again = act(staff_client, clerk, receipt, "close")
    assert again.status_code == 409 and again.json_body["code"] == "no_follow_up"
    act(staff_client, clerk, receipt, "followup", result="satisfied")
    assert act(staff_client, clerk, receipt, "close").json_body["status"] == "closed"
    for action, data in (("reply", {"text": "再说一句。"}), ("status", {"status": "in_progress"}),
                         ("followup", {"result": "dissatisfied"})):
        r = act(staff_client, clerk, receipt, action, **data)
        assert r.status_code == 409, action
    assert act(staff_client, clerk, receipt, "note", text="归档后补记").status_code == 200
    assert act(staff_client, clerk, receipt, "grade", grade=2.0).status_code == 400


def test_canned_replies_are_edited_by_managers_and_checked(staff_client: Any, issuer: Any) -> None:
    manager = issuer.token(["manager"], username="boss")
    bad = call(staff_client, "PUT", "/staff/replies/later", manager,
               {"title": "稍后", "text": "改天再联系您。"})
    assert bad.status_code == 400 and bad.json_body["code"] == "forbidden_phrase"
    ok = call(staff_client, "PUT", "/staff/replies/thanks", manager,
              {"title": "致谢", "text": "感谢您的反馈，我们已安排处理。"})
    assert ok.status_code == 200
    clerk = issuer.token(["clerk"])
    replies = call(staff_client, "GET", "/staff/replies", clerk).json_body["replies"]
    assert [r["id"] for r in replies] == ["thanks"]
    assert call(staff_client, "DELETE", "/staff/replies/thanks", manager).status_code == 200
    assert call(staff_client, "GET", "/staff/replies", clerk).json_body["replies"] == []


def test_figures_count_the_first_reply_the_owner_can_see(staff_client: Any, issuer: Any,
                                                         clock: Clock) -> None:
    clerk, manager = issuer.token(["clerk"]), issuer.token(["manager"], username="boss")
    fast = enter(staff_client, clerk, kind="service_request")  # due within 2 h
    slow = enter(staff_client, clerk, kind="service_request", subject="另一件事")
    clock.now += 3600
    act(staff_client, clerk, fast, "reply", text="师傅已出发。")
    act(staff_client, clerk, slow, "assign", department="工程部")  # not an answer
    clock.now += 2 * 3600
    act(staff_client, clerk, slow, "reply", text="师傅已出发。")
    data = call(staff_client, "GET", "/staff/figures", manager).json_body
    assert data["summary"]["responded_on_time_pct"] == 50.0
    assert data["summary"]["received"] == 2


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_dev_and_prod_refuse_the_local_issuer(stage: str) -> None:
    with pytest.raises(ConfigError):
        AuthSettings("http://127.0.0.1:9229/local_pool", "client", "x", stage, "cognito:groups",
                     ("CognitoLocal",)).check()
    with pytest.raises(ConfigError):
        AuthSettings("https://cognito-idp.ap-east-1.amazonaws.com/pool", "client", "x", stage,
                     "cognito:groups", ()).check()


def test_a_production_stage_refuses_a_token_signed_with_the_local_key(
        issuer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if the keys served looked like the local issuer's (kid CognitoLocal), prod
    refuses them; the same token is accepted on the local stage."""
    import jwt as pyjwt

    from portal_domain.auth import Unauthorized, Verifier

    class LocalKeys:  # the key set serves the token's key under the local issuer's key id
        def get_signing_key(self, kid: str) -> Any:
            assert kid == "CognitoLocal"
            return pyjwt.PyJWK(json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(
                issuer.key.public_key())) | {"kid": kid, "alg": "RS256"})

    monkeypatch.setenv("OIDC_ISSUER", "https://cognito-idp.ap-east-1.amazonaws.com/pool")
    monkeypatch.setenv("OIDC_CLIENT_ID", issuer.client_id)
    monkeypatch.setenv("STAGE", "local")
    local = AuthSettings.from_env()
    token = issuer.token(["clerk"], kid="CognitoLocal", iss=local.issuer)
    assert Verifier(local, LocalKeys()).staff(f"Bearer {token}").may("clerk")  # type: ignore[arg-type]
    monkeypatch.setenv("STAGE", "prod")
    prod = AuthSettings.from_env()
    with pytest.raises(Unauthorized):
        Verifier(prod, LocalKeys()).staff(f"Bearer {token}")  # type: ignore[arg-type]


def test_the_command_line_uses_the_same_loop(service: CaseService) -> None:
    _, receipt = service.submit(MESSAGE, "cli-loop-key-1", "10.0.0.7")
    r = receipt["receipt"]
    service.assign(r, 2, "工程部", by="cli:test")
    service.set_status(r, "resolved", "已处理。", by="cli:test")
    service.follow_up(r, "满意", by="cli:test")
    assert service.close(r, "cli:test").status == "closed"


def test_the_owners_api_still_answers(api_client: Any) -> None:
    assert post(api_client, MESSAGE).status_code == 201


# --- fail closed: a staff function that is not configured refuses everything --------------

UNCONFIGURED = {
    "no stage": {"OIDC_ISSUER": "{issuer}", "OIDC_CLIENT_ID": "{client}"},
    "no client id": {"STAGE": "local", "OIDC_ISSUER": "{issuer}"},
    "no issuer": {"STAGE": "local", "OIDC_CLIENT_ID": "{client}"},
    "an unknown stage": {"STAGE": "staging", "OIDC_ISSUER": "{issuer}",
                         "OIDC_CLIENT_ID": "{client}"},
    "a deployed stage with the local issuer": {"STAGE": "prod", "OIDC_ISSUER": "{issuer}",
                                               "OIDC_CLIENT_ID": "{client}"},
}


@pytest.fixture
def env_staff_client(service: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The real staff app checking tokens with the verifier its environment describes."""
    from chalice.test import Client

    from conftest import serving, staff_app_module
    from portal_domain.auth import use_verifier

    for name in ("STAGE", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_JWKS_URL", "OIDC_GROUPS_CLAIM"):
        monkeypatch.delenv(name, raising=False)
    use_verifier(None)
    try:
        with serving(cases=service), Client(staff_app_module().app) as client:
            yield client
    finally:
        use_verifier(None)


@pytest.mark.parametrize("what", sorted(UNCONFIGURED))
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_staff_function_without_a_complete_configuration_refuses_every_request(
        env_staff_client: Any, issuer: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, what: str, method: str, path: str) -> None:
    """STAGE unset is not "local": without a whole, safe sign-in configuration every route
    answers 503 with a JSON error, even to a token the local issuer signed, and the log
    says what is missing."""
    for name, value in UNCONFIGURED[what].items():
        monkeypatch.setenv(name, value.format(issuer=issuer.url, client=issuer.client_id))
    token = issuer.token(["clerk", "manager"])
    with caplog.at_level(logging.ERROR):
        r = call(env_staff_client, method, path, token, {"version": 1, "text": "x"})
    assert r.status_code == 503, (what, r.status_code, r.body)
    assert r.json_body["code"] == "not_configured" and "Retry-After" not in r.headers
    assert "sign-in" in r.json_body["message"]
    logged = " ".join(rec.getMessage() for rec in caplog.records)
    assert "staff sign-in is not configured" in logged
    expected = {"no stage": "STAGE", "no client id": "OIDC_CLIENT_ID", "no issuer": "OIDC_ISSUER",
                "an unknown stage": "staging",
                "a deployed stage with the local issuer": "https"}[what]
    assert expected in logged


def test_only_an_explicit_local_stage_trusts_the_local_issuer(
        env_staff_client: Any, issuer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OIDC_ISSUER", issuer.url)
    monkeypatch.setenv("OIDC_CLIENT_ID", issuer.client_id)
    token = issuer.token(["clerk"])
    assert call(env_staff_client, "GET", "/staff/me", token).status_code == 503
    monkeypatch.setenv("STAGE", "local")
    assert call(env_staff_client, "GET", "/staff/me", token).status_code == 200


def test_the_staff_function_configuration_names_its_stage() -> None:
    """Every stage of the staff API's Chalice config sets STAGE explicitly."""
    from conftest import ROOT

    config = json.loads((ROOT / "staff_api" / ".chalice" / "config.json").read_text("utf-8"))
    for name, stage in config["stages"].items():
        assert stage["environment_variables"]["STAGE"] == name


def test_the_actions_are_one_table_and_the_readme_lists_them(staff_client: Any,
                                                             issuer: Any) -> None:
    """POST /staff/cases/{receipt}/{action} dispatches through ACTIONS (name → roles,
    handler); the README names the same actions, and any other name is a JSON 404."""
    import re

    from conftest import ROOT, staff_app_module

    actions = staff_app_module().ACTIONS
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"POST /staff/cases/\{receipt\}/\{([a-z|]+)\}", readme)
    assert listed is not None and sorted(listed.group(1).split("|")) == sorted(actions)
    assert len({a.run for a in actions.values()}) == len(actions)  # one function each
    clerk = issuer.token(["clerk"])
    receipt = enter(staff_client, clerk)
    r = act(staff_client, clerk, receipt, "delete")
    assert r.status_code == 404 and r.json_body["message"] == "No such action."
