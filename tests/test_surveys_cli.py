"""Staff issue household codes, check the counters against a recount, publish the results."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ANSWERS_OK, SURVEY, BuildFixture, Clock
from portal_domain.settings import Settings
from portal_domain.store import Store
from portal_domain.surveys import SurveyService, code_hash
from portal_staff.surveys import main


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "surveys").mkdir(parents=True)
    (folder / "surveys" / "quick-poll.yml").write_text(SURVEY, encoding="utf-8")
    return folder


pytestmark = pytest.mark.usefixtures("local_credentials")


def run(ddb: Any, table: str, content: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--table", table, "--endpoint", ddb.meta.endpoint_url, "--content", str(content),
                 *args], out=out, today=date(2026, 12, 5))
    return code, out.getvalue()


def test_codes_sheet_has_each_code_with_its_qr_and_only_hashes_are_stored(
        ddb: Any, table: str, content: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "codes.html"
    code, out = run(ddb, table, content, "codes", "--survey", "quick-poll", "-n", "6",
                    "--out", str(sheet))
    assert code == 0 and out.startswith("6 codes issued for quick-poll")
    html = sheet.read_text(encoding="utf-8")
    import re

    codes = re.findall(r'<p class="c">([^<]+)</p>', html)
    assert len(set(codes)) == 6 and html.count("<svg") == 6
    assert "surveys/quick-poll/?code=" + codes[0] in html
    items = ddb.scan(TableName=table)["Items"]
    stored = {i["SK"]["S"] for i in items}
    assert stored == {f"CODE#{code_hash(c)}" for c in codes}
    assert not any(c in str(items) for c in codes)


def test_results_recount_and_publish(ddb: Any, table: str, content: Path,
                                     fixture_site: BuildFixture) -> None:
    import yaml as y

    from portal_contracts import surveys as defs

    poll = defs.parse(y.safe_load(SURVEY), "quick-poll")
    service = SurveyService(Store(table, ddb), Settings(secret=b"s"), {"quick-poll": poll},
                            Clock(1_795_400_000.0))
    for i, c in enumerate(service.issue_codes("quick-poll", 6)):
        answers = {**ANSWERS_OK, "note": f"建议{i}"} if i < 2 else ANSWERS_OK
        service.submit("quick-poll", {"answers": answers, "code": c}, f"key-{i:05d}", "ip")
    code, out = run(ddb, table, content, "results", "--survey", "quick-poll", "--recount")
    assert code == 0 and "6 responses of 100 households" in out
    assert "recount of 6 stored responses agrees with the counters" in out
    code, out = run(ddb, table, content, "publish", "--survey", "quick-poll")
    path = content / "reports" / "surveys" / "quick-poll.yml"
    assert code == 0 and out.strip() == str(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["responses"] == 6 and data["counters"]["q:nps:9"] == 6
    assert [t["text"] for t in data["texts"]] == ["建议0", "建议1"]
    assert all(t["publish"] is False for t in data["texts"])
    site = fixture_site({"surveys/quick-poll.yml": SURVEY,
                         "reports/surveys/quick-poll.yml": path.read_text(encoding="utf-8")},
                        now="2026-12-06T09:00:00")
    html = site.page("surveys/quick-poll/results/")
    assert "<strong>6</strong>" in html and "建议0" not in html


def test_a_counter_out_of_step_is_caught_by_the_recount(ddb: Any, table: str, content: Path) -> None:
    from portal_domain.store import to_item

    ddb.put_item(TableName=table, Item=to_item({"PK": "SURVEY#quick-poll", "SK": "COUNT#3", "n": 2}))
    code, out = run(ddb, table, content, "results", "--survey", "quick-poll", "--recount")
    assert code == 1 and "counters differ from the recount: n" in out
