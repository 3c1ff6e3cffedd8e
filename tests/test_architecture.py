"""The package rules of README "Architecture", checked on the source.

    portal            the static site: imports portal_contracts, never the API's domain,
                      the staff tools, chalicelib or boto3/botocore
    portal_contracts  pure Python: the standard library and itself only (the Lambda and
                      the site both import it)
    portal_domain     the API's domain: never the site or the staff tools; of other
                      libraries only boto3/botocore, Chalice in web.py, PyJWT in auth.py
    app, staff_app    the two Chalice apps (api/app.py, staff_api/app.py): the domain and
                      the contracts only; the owners' app never reaches the token check
    git_proxy         the editor's git proxy, a Lambda handler (staff_api/git_proxy.py):
                      likewise; the owners' app never reaches the proxy either
    scripts/*.py      deploy, stress and the benchmarks: no package imports a script, and
                      only the site's own benchmarks load the site's sections
    no import circles among first-party modules, imports inside functions included
    (imports under `if TYPE_CHECKING:` are for the type checker and do not run)
"""

from __future__ import annotations

import ast
import functools
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
APPS = {"app": ROOT / "api" / "app.py", "staff_app": ROOT / "staff_api" / "app.py",
        "git_proxy": ROOT / "staff_api" / "git_proxy.py"}
SCRIPTS = {path.stem: path for path in sorted((ROOT / "scripts").glob("*.py"))}
FIRST_PARTY = (*PACKAGES, *APPS, *SCRIPTS)
# Importing these loads every section of the site (portal/features/__init__.py).
EVERY_SECTION = ("portal.features", "portal.plugin")
SITE_BENCHMARKS = {"bench_notices", "bench_search", "bench_preview"}


def modules() -> dict[str, Path]:
    found = {**APPS, **SCRIPTS}
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
    """module → the modules it imports (parsed once per set of sources: tests swap some)."""
    return _graph(tuple(sorted((k, str(v)) for k, v in modules().items())))


@functools.cache
def _graph(sources: tuple[tuple[str, str], ...]) -> dict[str, set[str]]:
    known = {name: Path(path) for name, path in sources}
    return {name: set(imports(name, path, known)) for name, path in known.items()}


def top(module: str) -> str:
    return module.split(".")[0]


def test_every_package_is_found() -> None:
    names = set(modules())
    assert {"portal.plugin", "portal_contracts.messages", "portal_domain.store",
            "portal_staff.devstack", "app", "staff_app", "deploy", "stress"} <= names


@pytest.mark.parametrize(("package", "forbidden"), [
    ("portal", {"portal_domain", "portal_staff", "chalicelib", "app", "boto3", "botocore"}),
    ("portal_domain", {"portal", "portal_staff"}),
    ("app", {"portal", "portal_staff"}),
    ("staff_app", {"portal", "portal_staff"}),
    ("git_proxy", {"portal", "portal_staff", "chalice", "boto3", "botocore"}),
    *((package, set(SCRIPTS)) for package in (*PACKAGES, *APPS)),
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


# What the domain may import besides the standard library, itself and the contracts.
DOMAIN_LIBRARIES = {"boto3": None, "botocore": None,  # None: any module of the domain
                    "chalice": {"portal_domain.web"}, "jwt": {"portal_domain.auth"}}


def test_the_domain_imports_only_its_libraries_where_the_readme_says() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__", "portal_domain", "portal_contracts"}
    bad = sorted((m, i) for m, found in graph().items() if top(m) == "portal_domain"
                 for i in found if top(i) not in stdlib and (
                     top(i) not in DOMAIN_LIBRARIES
                     or m not in (DOMAIN_LIBRARIES[top(i)] or {m})))
    assert bad == []


def reachable(start: str) -> set[str]:
    edges, seen, todo = graph(), set(), [start]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += [i for i in edges.get(m, ()) if i in edges]
    return seen


def test_the_owners_app_never_reaches_the_token_check() -> None:
    """PyJWT is not in the owners' function's package (and would cost its cold start)."""
    assert "portal_domain.auth" in reachable("staff_app")
    assert "portal_domain.auth" in reachable("git_proxy")
    assert "portal_domain.auth" not in reachable("app")
    assert "portal_domain.git_proxy" not in reachable("app")


def test_only_the_site_and_its_benchmarks_load_every_section() -> None:
    """Staff tools, apps, the deploy and the stress script read what they need from the
    contracts (survey definitions included), not through the site's seven sections."""
    bad = sorted((m, i) for m, found in graph().items()
                 if top(m) != "portal" and m not in SITE_BENCHMARKS
                 for i in found if i.startswith(EVERY_SECTION))
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
    the domain and a circle between two modules is refused; so are a domain module that
    imports PyJWT and Chalice, and a script that loads the site's sections."""
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
    domain = tmp_path / "api"
    shutil.copytree(ROOT / "api" / "portal_domain", domain / "portal_domain")
    (domain / "portal_domain" / "extra_c.py").write_text("import jwt\nimport chalice\n",
                                                         encoding="utf-8")
    monkeypatch.setitem(PACKAGES, "portal_domain", domain)
    with pytest.raises(AssertionError):
        test_the_domain_imports_only_its_libraries_where_the_readme_says()
    script = tmp_path / "extra_script.py"
    script.write_text("from portal.features.surveys import SurveysFeature\n", encoding="utf-8")
    monkeypatch.setitem(SCRIPTS, "extra_script", script)
    with pytest.raises(AssertionError):
        test_only_the_site_and_its_benchmarks_load_every_section()
