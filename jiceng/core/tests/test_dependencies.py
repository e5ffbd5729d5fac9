"""Dependencies point one way: domain apps import core, core imports no domain app.

Where core needs an app's knowledge (home-page sections, demo data, navigation flags, rules), the app
registers it in ``AppConfig.ready()`` (``jiceng.core.registry``). This test reads every module of core
(tests and migrations aside) with ``ast`` and fails on any import of ``jiceng.<domain app>``, at the top
of a module or inside a function alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jiceng

PACKAGE = Path(jiceng.__file__).parent
CORE = PACKAGE / "core"
DOMAIN_APPS = sorted(p.parent.name for p in PACKAGE.glob("*/apps.py") if p.parent.name != "core")

# Files of core allowed to import a domain app: none. (The compliance engine moved onto the rule
# registry, issue 10.)
ALLOWED: set[str] = set()


def _imported(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """Every absolute module name an ``import`` or ``from … import`` statement reaches."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def _core_modules() -> list[Path]:
    return [
        path
        for path in sorted(CORE.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(CORE).parts[:-1])
    ]


def test_the_domain_apps_are_found() -> None:
    assert {"orgs", "members", "life", "development", "roster", "reports"} <= set(DOMAIN_APPS)
    assert len(_core_modules()) > 20


def test_core_imports_no_domain_app() -> None:
    offences = []
    for path in _core_modules():
        relative = path.relative_to(CORE).as_posix()
        if relative in ALLOWED:
            continue
        module = "jiceng.core." + relative.removesuffix(".py").replace("/", ".")
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, module):
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "jiceng" and parts[1] in DOMAIN_APPS:
                offences.append(f"core/{relative}:{line} imports {name}")
    assert not offences, "core must not import a domain app:\n" + "\n".join(sorted(set(offences)))


def test_the_allow_list_names_only_existing_files() -> None:
    assert {p for p in ALLOWED if not (CORE / p).exists()} == set()
