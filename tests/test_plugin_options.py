"""The plugin's options are declared once (`portal.options.Options`); MkDocs' schema of
the `portal` plugin is derived from its fields, so a new option is one edit."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pytest

from portal.options import Options
from portal.plugin import PortalConfig, config_class


@dataclass(frozen=True)
class MoreOptions(Options):
    lift_contact: str = "0571-8765 4301"
    floors: int | None = None
    lift_numbers: dict[str, str] = field(default_factory=dict)


def schema(cls: type) -> dict[str, object]:
    return dict(cls._schema)  # type: ignore[attr-defined]


def test_the_mkdocs_schema_has_every_option_in_order() -> None:
    assert list(schema(PortalConfig)) == [f.name for f in fields(Options)]


def test_a_new_option_appears_in_the_mkdocs_schema_with_its_type_and_default() -> None:
    derived = config_class(MoreOptions)
    assert list(schema(derived))[-3:] == ["lift_contact", "floors", "lift_numbers"]
    config = derived()
    config.load_dict({"floors": 18})
    failed, warnings = config.validate()
    assert (failed, warnings) == ([], [])
    assert config["lift_contact"] == "0571-8765 4301"  # the field's default
    assert config["floors"] == 18
    assert config["lift_numbers"] is None  # made by the field's factory, in from_config
    assert Options.from_config(dict(config)).timezone == "Asia/Shanghai"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("notices_per_page", "twenty", "int"),
    ("qr", "yes", "bool"),
    ("notice_categories", ["停水停电"], "dict"),
    ("now", 20261123, "str"),
])
def test_a_wrong_type_in_mkdocs_yml_is_refused_naming_the_expected_type(
        name: str, value: object, expected: str) -> None:
    config = PortalConfig()
    config.load_dict({name: value})
    failed, _ = config.validate()
    assert [key for key, _ in failed] == [name]
    assert f"Expected type: <class '{expected}'>" in str(failed[0][1])


def test_an_option_of_two_types_cannot_be_declared() -> None:
    @dataclass(frozen=True)
    class Ambiguous(Options):
        height: int | str = 0

    with pytest.raises(TypeError, match=r"Ambiguous.height: expected one type or one type "
                                        r"and None, found int \| str"):
        config_class(Ambiguous)
