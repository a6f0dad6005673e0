"""The dashboard's walls, read from the source: the pages reach accounts, mail, the keyword
registry, the databases and X only through `streamlit_app/data.py` (behind it: the account
package and the plain queries of `queries.py`); the account package is Streamlit-free; no
TWEEKTREND_* variable is read outside `Settings` in the dashboard and the X client; the X user
client lives outside ingest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app"
# what only data.py (and the account package it alone uses) may import
BEHIND_THE_DOOR = (
    "streamlit_app.auth",
    "streamlit_app.queries",
    "tweektrend_dagster",
    "pymongo",
    "cassandra",
    "tweepy",
)
ENV_READ = re.compile(r"os\.environ|os\.getenv|getenv\(")


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def pages() -> list[Path]:
    """Every dashboard module but the door and what stands behind it."""
    return [
        p
        for p in APP.rglob("*.py")
        if p.name not in ("data.py", "queries.py") and "auth" not in p.relative_to(APP).parts
    ]


def test_pages_import_nothing_behind_the_door():
    found = {p.relative_to(ROOT).as_posix() for p in pages()}
    assert {"streamlit_app/app.py", "streamlit_app/views/login.py"} <= found
    assert "streamlit_app/keyword_form.py" in found and "streamlit_app/session.py" in found
    wrong = {
        p.relative_to(ROOT).as_posix(): sorted(
            name for name in imports_of(p) if name.startswith(BEHIND_THE_DOOR)
        )
        for p in pages()
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_account_package_knows_no_streamlit_and_no_page():
    for path in (APP / "auth").glob("*.py"):
        names = imports_of(path)
        assert not any(
            n.startswith("streamlit") and not n.startswith("streamlit_app.auth") for n in names
        ), path.name


def test_no_environment_reads_outside_settings():
    files = [*APP.rglob("*.py"), *(ROOT / "tweektrend_dagster" / "x").glob("*.py")]
    files.append(ROOT / "tweektrend_dagster" / "ingest" / "sources" / "x_api.py")
    readers = [p.relative_to(ROOT).as_posix() for p in files if ENV_READ.search(p.read_text())]
    assert readers == []


def test_the_x_user_client_is_not_part_of_ingest():
    ingest = ROOT / "tweektrend_dagster" / "ingest"
    assert not [p for p in ingest.rglob("*.py") if "make_user_client" in p.read_text()]
    assert "tweektrend_dagster.x.user_client" in imports_of(APP / "data.py")
