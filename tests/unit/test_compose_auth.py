"""docker/compose.yml turns on authentication, with every credential from docker/.env, and the
project reads the same file's TWEEKTREND_* lines (Docker is not needed: the files are read, the
scripts' pieces run locally; tests/integration/test_server_credentials.py runs the servers)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tweektrend_dagster.clients import cassandra_auth, kafka_client_config
from tweektrend_dagster.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
SERVICES = yaml.safe_load((DOCKER / "compose.yml").read_text())["services"]
INTERPOLATED = re.compile(r"\$\{([A-Z_]+)(?::?[?-][^}]*)?\}")


def _env_example() -> dict[str, str]:
    """docker/.env.example as Compose and `set -a; . docker/.env` read it (${VAR} expanded)."""
    values: dict[str, str] = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key] = INTERPOLATED.sub(lambda m: values[m.group(1)], value)
    return values


def test_no_credential_is_written_in_the_compose_file():
    text = (DOCKER / "compose.yml").read_text()
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if re.search("PASSWORD|USERNAME", key):
                assert INTERPOLATED.fullmatch(str(value)), f"{name}.{key} is not from docker/.env"
    assert not [line for line in text.splitlines()
                if "change-me" in line and not line.lstrip().startswith("#")]


def test_every_variable_compose_needs_is_in_env_example_with_a_placeholder_password():
    needed = set(INTERPOLATED.findall((DOCKER / "compose.yml").read_text()))
    example = _env_example()
    optional = {"TWEEKTREND_MONGO_DB"}  # has a default in compose
    assert needed - optional <= set(example), sorted(needed - optional - set(example))
    passwords = {k: v for k, v in example.items() if k.endswith("PASSWORD")}
    assert len(passwords) == 5 and set(passwords.values()) == {"change-me"}


def test_the_real_env_file_is_never_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", "docker/.env"], cwd=ROOT)
    assert ignored.returncode == 0


def test_the_env_file_gives_the_projects_clients_their_logins(monkeypatch):
    for key, value in _env_example().items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    config = kafka_client_config(settings)
    assert (config["security.protocol"], config["sasl.mechanism"]) == (
        "SASL_PLAINTEXT", "SCRAM-SHA-256")
    assert config["sasl.username"] == "tweektrend" and config["sasl.password"] == "change-me"
    assert cassandra_auth(settings.cassandra_username, settings.cassandra_password) is not None
    assert settings.mongo_uri == (
        "mongodb://tweektrend:change-me@127.0.0.1:27017/?authSource=admin")


def test_kafka_speaks_plaintext_only_inside_its_container():
    script = (DOCKER / "kafka" / "start.sh").read_text()
    properties = dict(
        line.split("=", 1) for line in script.split("<<PROPERTIES\n")[1].split("PROPERTIES\n")[0]
        .splitlines())
    protocols = dict(item.split(":") for item in
                     properties["listener.security.protocol.map"].split(","))
    for listener in properties["listeners"].split(","):
        name, address = listener.split("://")
        if protocols[name] == "PLAINTEXT":
            assert address.startswith("127.0.0.1:"), listener
        else:
            assert protocols[name] == "SASL_PLAINTEXT"
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-256"
    assert '--add-scram "SCRAM-SHA-256=[name=${SCRAM_USERNAME},password=${SCRAM_PASSWORD}]"' \
        in script
    assert SERVICES["kafka"]["entrypoint"][-1] == "/etc/tweektrend/start.sh"


CASSANDRA_50_YAML = """\
cluster_name: 'Test Cluster'
authenticator:
  class_name : org.apache.cassandra.auth.AllowAllAuthenticator
# MutualTlsAuthenticator can be configured using the following configuration.
#authenticator:
#  class_name : org.apache.cassandra.auth.MutualTlsAuthenticator
#  parameters :
#    validator_class_name: org.apache.cassandra.auth.SpiffeCertificateValidator
authorizer: AllowAllAuthorizer
role_manager:
  class_name: CassandraRoleManager
network_authorizer: AllowAllNetworkAuthorizer
roles_validity: 2000ms
"""


def _placeholders_out(text: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", r"\1", text)  # the launcher template's ${data} etc.


@pytest.mark.parametrize("source", ["5.0 block form", "the launcher's template"])
def test_cassandra_gets_password_logins_and_permissions(tmp_path, source):
    if source == "5.0 block form":
        text = CASSANDRA_50_YAML
    else:
        text = (ROOT / "tweektrend_dagster/stack/templates/cassandra.yaml").read_text()
    original = tmp_path / "cassandra.yaml"
    original.write_text(text)
    edited = subprocess.run(["awk", "-f", str(DOCKER / "cassandra" / "auth.awk"), str(original)],
                            capture_output=True, text=True, check=True).stdout
    config = yaml.safe_load(_placeholders_out(edited))
    assert config["authenticator"] == "PasswordAuthenticator"
    assert config["authorizer"] == "CassandraAuthorizer"
    assert config.get("role_manager", "CassandraRoleManager") == "CassandraRoleManager"
    before = yaml.safe_load(_placeholders_out(text))
    untouched = {k: v for k, v in before.items()
                 if k not in ("authenticator", "authorizer", "role_manager")}
    assert {k: config[k] for k in untouched} == untouched
    assert ("#authenticator:" in edited) == ("#authenticator:" in text)  # examples stay


def test_cassandra_init_replaces_the_default_superuser_and_needs_no_login_to_check_health():
    init = (DOCKER / "cassandra" / "init.sh").read_text()
    assert "ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false" in init
    assert "GRANT CREATE ON ALL KEYSPACES" in init
    assert SERVICES["cassandra-init"]["depends_on"]["cassandra"]["condition"] == "service_healthy"
    assert "cqlsh" not in " ".join(SERVICES["cassandra"]["healthcheck"]["test"])
    for script in ("kafka/start.sh", "cassandra/entrypoint.sh", "cassandra/init.sh"):
        subprocess.run(["bash", "-n", str(DOCKER / script)], check=True)


def test_mongo_has_a_root_user_and_the_project_user_from_env():
    env = SERVICES["mongo"]["environment"]
    assert {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"} <= set(env)
    assert "./mongo/app-user.js:/docker-entrypoint-initdb.d/10-app-user.js:ro" in \
        SERVICES["mongo"]["volumes"]
