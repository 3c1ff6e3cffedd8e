"""The package rules of README "Architecture", checked on the source.

    portal            the static site: imports portal_contracts, never the API's domain,
                      the staff tools, chalicelib or boto3/botocore
    portal_contracts  pure Python: the standard library and itself only (the Lambda and
                      the site both import it)
    portal_domain     the API's domain: never the site or the staff tools
    no import circles among first-party modules, imports inside functions included
    (imports under `if TYPE_CHECKING:` are for the type checker and do not run)
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGES = {  # package → the folder that holds it
    "portal": ROOT / "site_src",
    "portal_contracts": ROOT / "contracts",
    "portal_domain": ROOT / "api",
    "portal_staff": ROOT / "staff",
}
FIRST_PARTY = (*PACKAGES, "app")


def modules() -> dict[str, Path]:
    found = {"app": ROOT / "api" / "app.py"}
    for package, folder in PACKAGES.items():
        for path in sorted((folder / package).rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of import nodes inside `if TYPE_CHECKING:` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every module `name` imports (at any depth of its code), as absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:  # `from pkg import module` names a module
                sub = f"{target}.{alias.name}"
                yield sub if sub in known else target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {i for i in imports(name, path, known)} for name, path in known.items()}


def top(module: str) -> str:
    return module.split(".")[0]


def test_every_package_is_found() -> None:
    names = set(modules())
    assert {"portal.plugin", "portal_contracts.messages", "portal_domain.store",
            "portal_staff.devstack", "app"} <= names


@pytest.mark.parametrize(("package", "forbidden"), [
    ("portal", {"portal_domain", "portal_staff", "chalicelib", "app", "boto3", "botocore"}),
    ("portal_domain", {"portal", "portal_staff"}),
])
def test_a_package_does_not_import_what_it_must_not(package: str, forbidden: set[str]) -> None:
    bad = sorted((m, i) for m, found in graph().items() if top(m) == package
                 for i in found if top(i) in forbidden)
    assert bad == []


def test_the_contracts_are_pure_python() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    bad = sorted((m, i) for m, found in graph().items() if top(m) == "portal_contracts"
                 for i in found if top(i) not in stdlib and top(i) != "portal_contracts")
    assert bad == []


def test_no_import_circles() -> None:
    edges = {m: {i for i in found if i in modules() and i != m} for m, found in graph().items()}
    # imports of a package from inside it: `from . import x` names the module x, and an
    # import of the package itself from its own module is no circle worth refusing
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                circles.append([*stack[stack.index(n):], n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert circles == []


def test_the_rules_catch_a_circle_and_a_forbidden_import(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above can fail: a copy of the site package with an in-function import of
    the domain and a circle between two modules is refused."""
    import shutil

    site = tmp_path / "site_src"
    shutil.copytree(ROOT / "site_src" / "portal", site / "portal")
    (site / "portal" / "extra_a.py").write_text(
        "def f() -> None:\n    from . import extra_b\n    import boto3\n", encoding="utf-8")
    (site / "portal" / "extra_b.py").write_text("from . import extra_a\n", encoding="utf-8")
    monkeypatch.setitem(PACKAGES, "portal", site)
    with pytest.raises(AssertionError):
        test_no_import_circles()
    with pytest.raises(AssertionError):
        test_a_package_does_not_import_what_it_must_not("portal", {"boto3"})
