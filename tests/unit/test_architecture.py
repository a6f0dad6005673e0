"""The house of docs/ARCHITECTURE.md, checked: import-linter's contracts (pyproject.toml) hold,
every top-level room of the package has its place in the layers, and the linter does catch a
broken rule."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _lint(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_every_import_follows_the_contracts():
    result = _lint()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_room_of_the_package_has_its_place_in_the_layers():
    layers = _config()["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    package = ROOT / "tweektrend_dagster"
    rooms = {f"tweektrend_dagster.{p.stem}" for p in package.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert rooms - placed == set(), "give these a layer in pyproject.toml"
    assert placed - rooms - {"streamlit_app"} == set(), "layers name rooms that do not exist"


def test_the_linter_reports_an_import_that_breaks_a_rule(tmp_path):
    # the trend assets do read the analytics: a rule forbidding it must come out broken
    config = tmp_path / "broken.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["tweektrend_dagster"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "no analytics in the Dagster layer"\n'
        'type = "forbidden"\nsource_modules = ["tweektrend_dagster.defs"]\n'
        'forbidden_modules = ["tweektrend_dagster.analytics"]\n')
    result = _lint("--config", str(config))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "tweektrend_dagster.defs.trends" in result.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan): modules that import each other round."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_modules_import_each_other_round_a_cycle():
    import grimp

    graph = grimp.build_graph("tweektrend_dagster", "streamlit_app")
    assert _cycles(graph) == []
    # the check sees a cycle when there is one
    graph.add_import(importer="tweektrend_dagster.contracts.names",
                     imported="tweektrend_dagster.contracts.tables")
    assert _cycles(graph) == [["tweektrend_dagster.contracts.names",
                               "tweektrend_dagster.contracts.tables"]]
