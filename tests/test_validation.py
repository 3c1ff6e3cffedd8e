"""A broken content file fails the build naming file, field, expected and found, all at once."""

from __future__ import annotations

import pytest

from conftest import MINIMAL_COMMUNITY, BuildFailed, BuildFixture

GOOD = "---\ntitle: 概况\norder: 1\nsummary: 简介\n---\n正文\n"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {"handbook/fees.md": "---\ntitle: 物业费\norder: 第一\nsummary: 说明\n---\n正文\n"},
            "content/handbook/fees.md: order: expected a whole number, found '第一'",
            id="order-not-a-number",
        ),
        pytest.param(
            {"handbook/fees.md": "---\ntitle: 物业费\norder: 2\n---\n正文\n"},
            "content/handbook/fees.md: summary: expected a value (this field is required), "
            "found nothing",
            id="missing-field",
        ),
        pytest.param(
            {"handbook/fees.md": "---\ntitle: 物业费\norder: 2\nsummary: 说明\nautor: 张三\n---\n正文\n"},
            "content/handbook/fees.md: autor: expected no such field (check the spelling), "
            "found '张三'",
            id="misspelt-field",
        ),
        pytest.param(
            {"handbook/fees.md": "# 物业费\n正文\n"},
            "content/handbook/fees.md: front matter: expected a block between '---' lines at "
            "the top of the file, found no front matter",
            id="no-front-matter",
        ),
        pytest.param(
            {"handbook/fees.md": "---\ntitle: [物业费\norder: 2\n---\n正文\n"},
            "content/handbook/fees.md: front matter: expected valid YAML, found did not find "
            "expected ',' or ']' at line 3",
            id="broken-yaml",
        ),
        pytest.param(
            {"handbook/Fees Page.md": GOOD},
            "content/handbook/Fees Page.md: (file name): expected lower-case letters, digits "
            "and '-' (it becomes the page address), found 'Fees Page.md'",
            id="bad-file-name",
        ),
        pytest.param(
            {"handbook/fees.md": "---\ntitle: 物业费\norder: 2\nsummary: 说明\n---\n\n"},
            "content/handbook/fees.md: (body): expected the page text below the front matter, "
            "found nothing",
            id="empty-body",
        ),
    ],
)
def test_invalid_handbook_page(fixture_site: BuildFixture, files: dict[str, str],
                               message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site(files)
    assert f"  {message}" in str(caught.value).splitlines()


@pytest.mark.parametrize(
    ("community", "message"),
    [
        pytest.param(
            MINIMAL_COMMUNITY.replace("key: hotline", "key: service"),
            "content/community.yml: contacts: expected an entry with key 'hotline' (the 24-hour "
            "number), found keys ['service']",
            id="no-hotline",
        ),
        pytest.param(
            MINIMAL_COMMUNITY.replace("households: 120", "households: -5"),
            "content/community.yml: households: expected a number greater than 0, found -5",
            id="negative-households",
        ),
        pytest.param(
            MINIMAL_COMMUNITY.replace("phone: 0571-0000 0000", "phone: 找张经理"),
            "content/community.yml: contacts.0.phone: expected a phone number such as "
            "'0571-8765 4300', found '找张经理'",
            id="phone-not-a-number",
        ),
        pytest.param(
            None,
            "content/community.yml: (file): expected a community.yml describing the community, "
            "found no such file",
            id="missing-file",
        ),
    ],
)
def test_invalid_community(fixture_site: BuildFixture, community: str | None,
                           message: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site({}, community=community)
    assert f"  {message}" in str(caught.value).splitlines()


def test_every_problem_is_reported_at_once(fixture_site: BuildFixture) -> None:
    with pytest.raises(BuildFailed) as caught:
        fixture_site(
            {
                "handbook/a.md": "---\ntitle: A\norder: x\nsummary: s\n---\nbody\n",
                "handbook/b.md": "---\ntitle: B\nsummary: s\n---\nbody\n",
            },
            community=MINIMAL_COMMUNITY.replace("households: 120", "households: 0"),
        )
    lines = str(caught.value).splitlines()
    assert lines[0] == "3 problems in the portal content:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "content/community.yml", "content/handbook/a.md", "content/handbook/b.md"]


PHONES = ["0571-8765 4300", "138 0000 1234", "+86 138 0000 1234", "95598", "12345678901234567890",
          " 0571-8765 4300 ", "1234", "123456789012345678901", "+", "找张经理", "0571/8765",
          "-0571", "0571-8765 4300 转 8", "１３８ ００００ １２３４", "", "138\t0000"]


@pytest.mark.parametrize("value", PHONES)
def test_the_site_and_the_api_hold_phone_numbers_to_one_rule(value: str) -> None:
    """A number the site accepts in content/community.yml is one the API accepts from an
    owner, and the other way round (portal_contracts.messages.PHONE)."""
    from pydantic import TypeAdapter, ValidationError

    from conftest import MESSAGE
    from portal.types import Phone
    from portal_contracts.errors import Invalid
    from portal_contracts.messages import suggestion

    try:
        TypeAdapter(Phone).validate_python(value)
        site = True
    except ValidationError:
        site = False
    try:
        api = suggestion({**MESSAGE, "contact": {"phone": value}})["contact"].get("phone") \
            is not None
    except Invalid:
        api = False
    if value.strip():  # an empty number is "none given" to the API, and no number on the site
        assert site == api, (value, site, api)
    expected = value in ("0571-8765 4300", "138 0000 1234", "+86 138 0000 1234", "95598",
                         "12345678901234567890", " 0571-8765 4300 ")
    assert site == expected, value
