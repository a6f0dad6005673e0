"""Fetches the servers' artifacts once into the cache directory.

Kafka and Cassandra come as jars from Maven Central (`mvn dependency:copy-dependencies` on the small
poms under docker/maven/), FerretDB is built with Go from docker/ferretdb/. Each artifact lives in a
folder named after a hash of its recipe, so editing a pom or the wrapper fetches afresh.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tweektrend_dagster.artifacts import tools
from tweektrend_dagster.contracts.errors import ServiceUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPES = REPO_ROOT / "docker"


def _digest(*files: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _run(cmd: list[str], cwd: Path, what: str, log: Path, env: dict | None = None) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        result = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ServiceUnavailable(
            f"{what} failed (exit {result.returncode}); last lines of {log}:\n{tail}")


def maven_jars(component: str, cache: Path) -> Path:
    """Directory holding every jar of `component` (kafka, cassandra or spark)."""
    pom = RECIPES / "maven" / component / "pom.xml"
    target = cache / "jars" / f"{component}-{_digest(pom)}"
    if (target / ".complete").exists():
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        tools.mvn(),
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
    ]
    if component == "spark":
        # pyspark brings Spark, Scala and slf4j; only the connector and its own libraries are added
        cmd += ["-DincludeScope=runtime", "-DexcludeGroupIds=org.scala-lang,org.slf4j",
                # ... and the libraries pyspark ships already (hadoop client, compression, tags)
                "-DexcludeArtifactIds=hadoop-client-api,hadoop-client-runtime,snappy-java,"
                "lz4-java,spark-tags_2.12,commons-logging,jsr305"]
    _run(
        cmd,
        pom.parent,
        f"Fetching the {component} jars from Maven Central",
        cache / "logs" / f"mvn-{component}.log",
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    (target / ".complete").touch()
    return target


def ferretdb_binary(cache: Path) -> Path:
    """Path of the FerretDB executable, built from the wrapper module on first use."""
    src = RECIPES / "ferretdb"
    target = cache / "ferretdb" / _digest(src / "go.mod", src / "go.sum", *sorted(src.glob("*.go")))
    binary = target / "ferretdb"
    if binary.exists():
        return binary
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "0"}
    _run(
        [tools.go(), "build", "-trimpath", "-o", str(binary.with_suffix(".partial")), "."],
        src,
        "Building FerretDB with Go",
        cache / "logs" / "go-build-ferretdb.log",
        env=env,
    )
    binary.with_suffix(".partial").rename(binary)
    return binary


def spark_connect_jars(cache: Path) -> list[Path]:
    """The Spark Connect server jar and the project's loopback-only interceptor, compiled once
    against it (javac from the same JDK 17 as the servers)."""
    server = sorted(maven_jars("spark-connect", cache).glob("spark-connect_*.jar"))
    if not server:
        raise ServiceUnavailable(f"No spark-connect jar in {maven_jars('spark-connect', cache)}")
    source = RECIPES / "spark" / "LoopbackOnlyInterceptor.java"
    target = cache / "spark-interceptor" / _digest(source, server[0])
    jar = target / "tweektrend-spark-interceptor.jar"
    if jar.exists():
        return [server[0], jar]
    jdk = Path(tools.java()).parent
    classes = target / "classes"
    shutil.rmtree(classes, ignore_errors=True)
    classes.mkdir(parents=True)
    log = cache / "logs" / "javac-spark-interceptor.log"
    _run([str(jdk / "javac"), "-d", str(classes), "-cp", str(server[0]), str(source)],
         target, "Compiling the Spark Connect interceptor", log)
    partial = jar.with_suffix(".partial")
    _run([str(jdk / "jar"), "cf", str(partial), "-C", str(classes), "."],
         target, "Packaging the Spark Connect interceptor", log)
    partial.rename(jar)
    return [server[0], jar]
