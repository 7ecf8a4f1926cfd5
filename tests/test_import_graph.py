"""The package layers: ``pipeline`` is the core, ``commands`` (CLI) and ``web`` are two
edges over it, ``flows`` schedules it (and the CLI starts flows). Rules live in one place
each, so an edge never reaches into another edge: ``web`` imports neither ``commands`` nor
``flows``, ``commands`` does not import ``web``, and ``pipeline`` imports none of them.
Only ``cli.py`` (the ``records`` entry point) may import both edges.

Every import counts, including those inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "commands", "web", "flows")
FORBIDDEN = {
    "pipeline": {"commands", "web", "flows", "cli"},
    "commands": {"web", "cli"},
    "web": {"commands", "flows", "cli"},
    "flows": {"commands", "web", "cli"},
}


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in a module."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update((node.lineno, a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, name in sorted(imported_packages(path)):
            if name in FORBIDDEN[package]:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_its_layer_may(package: str) -> None:
    assert violations(package) == []


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from web.app import create_app\n    import commands.x\n",
                      encoding="utf-8")
    assert imported_packages(module) == {(2, "web"), (3, "commands")}
