"""Finding the external tools the launcher needs: java 17, mvn, go."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable

_JDK17_CANDIDATES = ["/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64"]


def _java_major(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except OSError:
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


@cache
def java() -> str:
    """Path of a Java 17 binary: Cassandra 5.0 runs on 11 or 17, not on newer releases."""
    candidates = []
    java_home = Settings.from_env().java_home
    if java_home:
        candidates.append(str(Path(java_home) / "bin" / "java"))
    candidates += [f"{home}/bin/java" for home in _JDK17_CANDIDATES]
    if shutil.which("java"):
        candidates.append(shutil.which("java"))
    seen = []
    for candidate in candidates:
        major = _java_major(candidate)
        if major is not None:
            seen.append(f"{candidate} (Java {major})")
        if major == 17:
            return candidate
    found = "; found " + ", ".join(seen) if seen else "; no java was found"
    raise ServiceUnavailable(
        "Java 17 is required to run Kafka and Cassandra" + found + ".\n"
        "Install it (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) "
        "or set JAVA_HOME to a JDK 17."
    )


def require(tool: str, install_hint: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise ServiceUnavailable(
            f"`{tool}` is not on PATH; it is needed to fetch the servers. {install_hint}"
        )
    return path


def mvn() -> str:
    return require("mvn", "Install Maven 3.8+ (Debian/Ubuntu: apt-get install maven).")


def go() -> str:
    return require("go", "Install Go 1.22+ (https://go.dev/doc/install) to build FerretDB.")
