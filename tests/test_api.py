"""Owners send messages through the public API; DynamoDB Local stores each exactly once."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest

from conftest import MESSAGE, Clock, post, serving
from portal_domain.cases import CaseService
from portal_domain.settings import Settings
from portal_domain.store import Store

RECEIPT = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def items(ddb: Any, table: str) -> list[dict[str, Any]]:
    return ddb.scan(TableName=table)["Items"]


def cases(ddb: Any, table: str) -> list[dict[str, Any]]:
    return [i for i in items(ddb, table) if i["SK"]["S"] == "CASE"]


def test_submission_returns_a_receipt_and_the_committed_response_time(
        api_client: Any, ddb: Any, table: str) -> None:
    r = post(api_client, MESSAGE)
    assert r.status_code == 201
    body = r.json_body
    assert RECEIPT.match(body["receipt"])
    assert body["respond_within_hours"] == 24 and body["status"] == "received"
    assert body["respond_by"] == "2026-11-24T02:13:20Z"  # 24 h after 2026-11-23 02:13:20Z
    stored = cases(ddb, table)
    assert len(stored) == 1 and stored[0]["receipt"]["S"] == body["receipt"]


@pytest.mark.parametrize(("kind", "hours"), [("service_request", 2), ("complaint", 24),
                                             ("suggestion", 72), ("praise", 72)])
def test_each_kind_has_its_time_limit(api_client: Any, kind: str, hours: int) -> None:
    r = post(api_client, {**MESSAGE, "kind": kind}, key=f"key-{kind}")
    assert r.status_code == 201 and r.json_body["respond_within_hours"] == hours


def test_contact_details_live_on_their_own_item_that_expires(api_client: Any, ddb: Any,
                                                             table: str) -> None:
    receipt = post(api_client, MESSAGE).json_body["receipt"]
    case = ddb.get_item(TableName=table, Key={"PK": {"S": f"CASE#{receipt}"}, "SK": {"S": "CASE"}})["Item"]
    pii = ddb.get_item(TableName=table, Key={"PK": {"S": f"PII#{receipt}"}, "SK": {"S": "PII"}})["Item"]
    for private in ("name", "phone", "email", "unit"):
        assert private not in case
    assert pii["phone"]["S"] == "138 0000 1234" and pii["unit"]["S"] == "1502"
    assert int(pii["ttl"]["N"]) == 1_795_400_000 + 365 * 86400


def test_status_lookup_shows_the_public_view_only(api_client: Any) -> None:
    receipt = post(api_client, MESSAGE).json_body["receipt"]
    r = api_client.http.get(f"/suggestions/{receipt.lower().replace('-', ' ')}")
    assert r.status_code == 200
    view = r.json_body
    assert set(view) == {"receipt", "kind", "category", "created_at", "respond_by", "status",
                         "reply", "timeline", "can_rate", "rating"}
    assert view["status"] == "received" and view["timeline"][0]["status"] == "received"
    text = json.dumps(view, ensure_ascii=False)
    for private in ("王阿姨", "138 0000 1234", "wang@example.com", "1502", "3栋",
                    "夜间施工噪音", "工地"):
        assert private not in text


@pytest.mark.parametrize("code", ["K7M4", "K7M4-QX9O", "!!!!-!!!!"])
def test_a_malformed_receipt_is_a_400(api_client: Any, code: str) -> None:
    r = api_client.http.get(f"/suggestions/{code}")
    assert r.status_code == 400 and r.json_body["code"] == "invalid"
    assert r.json_body["field"] == "receipt"


def test_an_unknown_receipt_is_a_404(api_client: Any) -> None:
    r = api_client.http.get("/suggestions/K7M4-QX9P")
    assert r.status_code == 404 and r.json_body == {
        "code": "not_found", "message": "No case with this receipt code."}


def test_a_retry_with_the_same_key_returns_the_original_receipt(api_client: Any, ddb: Any,
                                                                 table: str) -> None:
    first = post(api_client, MESSAGE, key="retry-key-1")
    again = post(api_client, MESSAGE, key="retry-key-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json_body["receipt"] == first.json_body["receipt"]
    assert len(cases(ddb, table)) == 1


def test_the_same_key_with_another_message_is_refused(api_client: Any, ddb: Any, table: str) -> None:
    post(api_client, MESSAGE, key="retry-key-2")
    r = post(api_client, {**MESSAGE, "subject": "另一件事"}, key="retry-key-2")
    assert r.status_code == 422 and r.json_body["code"] == "idempotency_key_reused"
    assert len(cases(ddb, table)) == 1


def test_twenty_concurrent_identical_submissions_store_one_item(ddb: Any, table: str) -> None:
    service = CaseService(Store(table, ddb), Settings(secret=b"s", rate_limit=1000), Clock())
    results: list[tuple[int, dict[str, Any]]] = []
    barrier = threading.Barrier(20)

    def send() -> None:
        barrier.wait()
        results.append(service.submit(MESSAGE, "same-key-everyone", "10.0.0.1"))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert sorted(s for s, _ in results) == [200] * 19 + [201]
    assert len({b["receipt"] for _, b in results}) == 1
    assert len(cases(ddb, table)) == 1
    assert len([i for i in items(ddb, table) if i["SK"]["S"] == "PII"]) == 1


INVALID = [
    ({**MESSAGE, "kind": "rant"}, "kind", "invalid"),
    ({k: v for k, v in MESSAGE.items() if k != "kind"}, "kind", "required"),
    ({**MESSAGE, "category": "weather"}, "category", "invalid"),
    ({**MESSAGE, "subject": "噪"}, "subject", "too_short"),
    ({**MESSAGE, "subject": "噪" * 61}, "subject", "too_long"),
    ({**MESSAGE, "body": "太吵"}, "body", "too_short"),
    ({**MESSAGE, "body": "吵" * 2001}, "body", "too_long"),
    ({**MESSAGE, "body": 12345}, "body", "invalid"),
    ({**MESSAGE, "body": "正文正文正文\x00"}, "body", "invalid"),
    ({**MESSAGE, "building": "楼" * 21}, "building", "too_long"),
    ({**MESSAGE, "anonymous": "yes"}, "anonymous", "invalid"),
    ({**MESSAGE, "anonymous": True}, "anonymous", "invalid"),
    ({**MESSAGE, "contact": {"phone": "call me"}}, "contact.phone", "invalid"),
    ({**MESSAGE, "contact": {"email": "not-an-address"}}, "contact.email", "invalid"),
    ({**MESSAGE, "contact": {"fax": "123"}}, "contact.fax", "unknown_field"),
    ({**MESSAGE, "contact": "王阿姨"}, "contact", "invalid"),
    ({**MESSAGE, "priority": "high"}, "priority", "unknown_field"),
    ([MESSAGE], "(body)", "invalid"),
]


@pytest.mark.parametrize(("body", "field", "code"), INVALID,
                         ids=[f"{f}-{c}-{i}" for i, (_, f, c) in enumerate(INVALID)])
def test_every_validation_rule_answers_400_with_the_field(api_client: Any, ddb: Any, table: str,
                                                          body: Any, field: str, code: str) -> None:
    r = post(api_client, body)
    assert r.status_code == 400
    assert r.json_body["code"] == code and r.json_body["field"] == field
    assert r.json_body["message"]
    assert cases(ddb, table) == []


@pytest.mark.parametrize(
    ("raw", "headers", "status", "code"),
    [
        (b'{"kind": ', {}, 400, "invalid_json"),
        (b'\xff\xfe{"kind":"complaint"}', {}, 400, "invalid_encoding"),
        (b"[" * 8000 + b"]" * 8000, {}, 400, "invalid_json"),
        (b'{"rating": NaN}', {}, 400, "invalid_json"),
        (b'{"body": "' + b"x" * 20_000 + b'"}', {}, 413, "too_large"),
        (b"kind=complaint", {"Content-Type": "application/x-www-form-urlencoded"}, 415,
         "unsupported_media_type"),
        (b"<a/>", {"Content-Type": "application/vnd.weird"}, 415, "unsupported_media_type"),
    ],
    ids=["truncated", "not-utf8", "deeply-nested", "nan", "oversize", "form", "unknown-type"],
)
def test_hostile_bodies_get_a_4xx_json_error(api_client: Any, raw: bytes, headers: dict[str, str],
                                             status: int, code: str) -> None:
    r = post(api_client, raw, headers=headers)
    assert r.status_code == status
    assert json.loads(r.body)["code"] == code


def test_wrong_method_is_a_json_405(api_client: Any) -> None:
    r = api_client.http.request("DELETE", "/suggestions", headers={}, body=b"")
    assert r.status_code == 405 and json.loads(r.body)["code"] == "method_not_allowed"


def test_honeypot_is_refused_and_nothing_stored(api_client: Any, ddb: Any, table: str) -> None:
    r = post(api_client, {**MESSAGE, "website": "http://spam.example"})
    assert r.status_code == 400 and r.json_body["code"] == "honeypot"
    assert items(ddb, table) == []


def test_anonymous_messages_carry_no_contact(api_client: Any) -> None:
    r = post(api_client, {**MESSAGE, "anonymous": True, "contact": {}, "unit": ""})
    assert r.status_code == 201


def test_rate_limit_answers_429_with_retry_after(ddb: Any, table: str, clock: Clock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from chalice.test import Client

    from app import app

    service = CaseService(Store(table, ddb), Settings(secret=b"s", rate_limit=3, rate_window=600), clock)
    with serving(cases=service), Client(app) as client:
        assert [post(client, MESSAGE, key=f"rate-key-{i}").status_code for i in range(3)] == [201] * 3
        # a retry of an accepted message is not a new submission
        assert post(client, MESSAGE, key="rate-key-0").status_code == 200
        r = post(client, MESSAGE, key="rate-key-3")
        assert r.status_code == 429 and r.json_body["code"] == "rate_limited"
        assert int(r.headers["Retry-After"]) == 600 - int(clock.now % 600)
        clock.now += 600
        assert post(client, MESSAGE, key="rate-key-3").status_code == 201
    rate_items = [i for i in items(ddb, table) if i["PK"]["S"].startswith("RATE#")]
    assert rate_items and all("ttl" in i for i in rate_items)
    assert all("10.0" not in i["PK"]["S"] and "127.0" not in i["PK"]["S"] for i in rate_items)


def test_owner_rates_once_after_resolution(api_client: Any, service: CaseService) -> None:
    receipt = post(api_client, MESSAGE).json_body["receipt"]
    path = f"/suggestions/{receipt}/feedback"
    r = post(api_client, {"rating": 5, "comment": "谢谢"}, path=path)
    assert r.status_code == 409 and r.json_body["code"] == "not_resolved"
    service.assign(receipt, 2, "工程部")
    service.set_status(receipt, "resolved", "已协调施工方晚上十点后停工。")
    assert post(api_client, {"rating": 6}, path=path).status_code == 400
    r = post(api_client, {"rating": 5, "comment": "谢谢"}, path=path)
    assert r.status_code == 200 and r.json_body["rating"] == 5 and not r.json_body["can_rate"]
    again = post(api_client, {"rating": 1}, path=path)
    assert again.status_code == 409 and again.json_body["code"] == "already_rated"
    view = api_client.http.get(f"/suggestions/{receipt}").json_body
    assert view["reply"] == "已协调施工方晚上十点后停工。"
    assert [t["status"] for t in view["timeline"]] == ["received", "assigned", "resolved"]


def test_cors_allows_only_the_portal_origin(api_client: Any) -> None:
    r = post(api_client, MESSAGE, headers={"Origin": "http://127.0.0.1:8000"})
    assert r.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert "Idempotency-Key" in r.headers["Access-Control-Allow-Headers"]


def test_importing_the_app_builds_no_client() -> None:
    import subprocess
    import sys

    # nor imports PyJWT: the staff API's token check is not in the owners' function's package
    code = ("import sys; sys.path.insert(0, 'api'); import app; "
            "from portal_domain import composition; "
            "print(composition.built(), 'jwt' in sys.modules, 'cryptography' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_looking_up_unknown_receipts_is_rate_limited(ddb: Any, table: str, clock: Clock,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from chalice.test import Client

    from app import app

    service = CaseService(Store(table, ddb), Settings(secret=b"s", miss_limit=3), clock)
    with serving(cases=service), Client(app) as client:
        receipt = post(client, MESSAGE).json_body["receipt"]
        misses = [client.http.get(f"/suggestions/K7M4-QX9{c}").status_code for c in "23456"]
        assert misses == [404, 404, 404, 429, 429]
        assert client.http.get(f"/suggestions/{receipt}").status_code == 200  # hits are free
        clock.now += 600
        assert client.http.get("/suggestions/K7M4-QX9P").status_code == 404


def test_a_table_from_an_earlier_version_gets_the_new_indexes(ddb: Any) -> None:
    """A developer's table made before the desk's queue index existed is brought up to date."""
    import uuid

    from portal_domain.store import TABLE_DEFINITION, create_table

    name = f"old-{uuid.uuid4().hex[:8]}"
    old = {**TABLE_DEFINITION,
           "AttributeDefinitions": [a for a in TABLE_DEFINITION["AttributeDefinitions"]
                                    if not a["AttributeName"].startswith("GSI2")],
           "GlobalSecondaryIndexes": TABLE_DEFINITION["GlobalSecondaryIndexes"][:1]}
    ddb.create_table(TableName=name, **old)
    try:
        create_table(ddb, name)
        found = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        assert sorted(i["IndexName"] for i in found) == ["GSI1", "GSI2"]
    finally:
        ddb.delete_table(TableName=name)


# --- one Case type: the store converts it, the views are derived from its declaration ----

def test_a_stored_case_reads_back_as_the_same_case(service: CaseService) -> None:
    from portal_domain.model import Case

    receipt = service.submit(MESSAGE, "roundtrip-key-1", "10.0.0.1")[1]["receipt"]
    service.assign(receipt, 2, "工程部", by="cli:test", assignee="王师傅")
    service.set_status(receipt, "resolved", "已处理。", by="cli:test")
    service.follow_up(receipt, "满意", by="cli:test")
    service.feedback(receipt, {"rating": 4, "comment": "好"})
    case = service.get(receipt)
    assert isinstance(case, Case) and case.version == 5 and case.feedback is not None
    assert Case.from_plain(case.to_plain()) == case
    assert [e.status for e in case.timeline] == ["received", "assigned", "resolved", "resolved"]
    assert case.followups[0].result == "satisfied" and case.grade == 2


def test_the_views_come_from_the_declared_fields() -> None:
    """The owner's view holds exactly the fields declared for the owner (plus what is
    derived: the public timeline, whether and how it was rated); staff see every staff
    field; the export's columns are the export fields."""
    from dataclasses import fields

    from portal_domain.model import EXPORT, OWNER, STAFF, Case, Event, export_columns

    case = Case(receipt="K7M4-QX9P", kind="complaint", status="received",
                timeline=[Event("2026-11-23T02:13:20Z", "received", by="li.clerk"),
                          Event("2026-11-23T03:00:00Z", "received", by="li.clerk",
                                public=False, internal="业主情绪激动")],
                subject="夜间施工噪音", department="工程部", idem="secret-hash")
    declared = {view: {f.name for f in fields(Case) if view in f.metadata["views"]}
                for view in (OWNER, STAFF, EXPORT)}
    owner = case.owner_view()
    assert set(owner) == declared[OWNER] | {"timeline", "can_rate", "rating"}
    assert owner["timeline"] == [{"at": "2026-11-23T02:13:20Z", "status": "received", "note": ""}]
    staff = case.staff_view(1_795_400_000.0, contact={"phone": "138 0000 1234"})
    assert set(staff) == declared[STAFF] | {"overdue", "contact"}
    assert staff["timeline"][1]["internal"] == "业主情绪激动"
    assert "idem" not in staff and "req" not in staff  # never shown to anyone
    for private in ("subject", "department", "building", "assignee", "contact"):
        assert private not in owner
    assert export_columns() == [("rating" if n == "feedback" else n) for n in
                                (f.name for f in fields(Case) if EXPORT in f.metadata["views"])]


def test_a_new_field_is_one_edit() -> None:
    """Declared once with its views, a field reaches the store's data, the staff view and
    the export, and stays off the owner's page."""
    from dataclasses import dataclass, field

    from portal_domain.model import EXPORT, STAFF, Case, export_columns, shown

    @dataclass(frozen=True)
    class Tomorrow(Case):
        weather: str = field(default="", metadata=shown(STAFF, EXPORT))

    case = Tomorrow(receipt="K7M4-QX9P", weather="小雨")
    assert case.to_plain()["weather"] == "小雨" and Tomorrow.from_plain(case.to_plain()) == case
    assert case.staff_view(0.0)["weather"] == "小雨" and case.export_row()["weather"] == "小雨"
    assert "weather" in export_columns(Tomorrow) and "weather" not in case.owner_view()


def test_a_change_on_a_stale_version_is_refused_in_the_domain(service: CaseService) -> None:
    """'Someone changed this case' is decided and worded in one place, whoever asks."""
    from portal_domain.errors import Changed

    receipt = service.submit(MESSAGE, "stale-key-0001", "10.0.0.1")[1]["receipt"]
    seen = service.get(receipt).version
    service.note(receipt, "甲的备注", by="a", version=seen)
    with pytest.raises(Changed) as caught:
        service.note(receipt, "乙的备注", by="b", version=seen)
    assert caught.value.status == 409 and caught.value.code == "changed"
    with pytest.raises(Changed):
        service.get(receipt, version=seen)
    assert [e.internal for e in service.get(receipt).timeline] == ["", "甲的备注"]
