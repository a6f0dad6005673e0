"""`config.Settings` is the one place that reads the environment; everything is built from it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tweektrend_dagster.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [*ROOT.glob("tweektrend_dagster/**/*.py"), *ROOT.glob("streamlit_app/**/*.py")]
CONFIG = ROOT / "tweektrend_dagster" / "config.py"


def _environment_reads(path: Path, root: Path = ROOT) -> list[str]:
    """`os.getenv(...)`, `os.environ.get(...)`, `os.environ[...]` read, `... in os.environ`.
    Handing the whole environment to a child (`{**os.environ, ...}`) and writes are not reads."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        text = ast.unparse(node)
        is_read = (
            isinstance(node, ast.Call) and re.fullmatch(r"(os\.getenv|os\.environ\.get)\(.*",
                                                        text, re.S)
            or isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
            and text.startswith("os.environ[")
            or isinstance(node, ast.Compare) and text.endswith("in os.environ")
        )
        if is_read:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {text[:80]}")
    return found


def test_no_module_but_config_reads_the_environment():
    stray = [hit for path in PRODUCT if path != CONFIG for hit in _environment_reads(path)]
    assert stray == [], "read these through config.Settings:\n" + "\n".join(stray)


def test_the_check_finds_a_stray_read(tmp_path):
    module = tmp_path / "stray.py"
    module.write_text("import os\nA = os.environ.get('X')\nB = os.environ['Y']\n"
                      "C = os.getenv('Z')\nD = 'W' in os.environ\nos.environ['V'] = '1'\n"
                      "E = {**os.environ}\n")
    hits = _environment_reads(module, root=tmp_path)
    assert [int(h.split(":")[1]) for h in hits] == [2, 3, 4, 5]


def test_every_variable_settings_reads_is_documented_in_the_readme():
    names = set(re.findall(r'_env(?:_int|_float|_optional|_list)?\("([A-Z_]+)"',
                           CONFIG.read_text()))
    assert len(names) > 40
    readme = (ROOT / "README.md").read_text()
    missing = sorted(n for n in names if f"TWEEKTREND_{n}" not in readme)
    assert missing == [], f"README does not mention {missing}"


def test_resources_are_built_from_the_settings_they_are_given():
    from tweektrend_dagster.definitions import build_resources

    settings = replace(Settings.from_env(), kafka_port=1111, cassandra_port=2222,
                       mongo_port=3333, keyspace="ks_x", late_grace_hours=2.5)
    if settings.kafka_bootstrap_override or settings.cassandra_hosts_override:
        pytest.skip("servers given explicitly in the environment")
    resources = build_resources(settings)
    assert resources["kafka"].bootstrap_servers.endswith(":1111")
    assert resources["cassandra"].port == 2222 and resources["cassandra"].keyspace == "ks_x"
    assert resources["spark"].keyspace == "ks_x"
    assert resources["run_settings"].late_grace_hours == 2.5
    if not settings.mongo_uri_override:
        assert ":3333/" in resources["mongo"].uri


def test_a_child_process_given_as_env_reads_the_same_settings(tmp_path):
    settings = replace(Settings.from_env(), home=tmp_path, topic="t-x", keyspace="ks_y",
                       consumer_group="g-z", kafka_port=1234, topic_partitions=3)
    script = ("from tweektrend_dagster.config import Settings; s = Settings.from_env(); "
              "print(s.home, s.topic, s.keyspace, s.consumer_group, s.kafka_port, "
              "s.topic_partitions)")
    out = subprocess.run([sys.executable, "-c", script], env=settings.as_env(),
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert out == [str(tmp_path), "t-x", "ks_y", "g-z", "1234", "3"]


def test_a_bad_number_names_its_variable(monkeypatch):
    monkeypatch.setenv("TWEEKTREND_LATE_GRACE_HOURS", "six")
    with pytest.raises(ValueError, match="TWEEKTREND_LATE_GRACE_HOURS must be a number"):
        Settings.from_env()


def test_secrets_stay_out_of_the_settings_repr(monkeypatch):
    monkeypatch.setenv("TWEEKTREND_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("TWEEKTREND_MONGO_URI", "mongodb://u:s3cret@db/")
    text = repr(Settings.from_env())
    assert "hunter2" not in text and "s3cret" not in text

