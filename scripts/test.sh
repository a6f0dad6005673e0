#!/usr/bin/env bash
# The whole test suite on real servers: unit tests, integration tests on the test stack
# (its own ports and data under .tweektrend-test/), and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stop_test_stack() {
  # the test stack is shared by test runs while they go on; stop it when the suite is over
  TWEEKTREND_HOME="$PWD/.tweektrend-test" .venv/bin/python -c '
import tests.conftest  # test ports
from tweektrend_dagster.stack.launcher import Stack
Stack(echo=lambda line: None, only=["kafka", "cassandra", "ferretdb", "spark"]).down()'
  # the cluster tests stop theirs at the end; this is for a run cut short
  if [ -d .tweektrend-cluster-test/run ]; then
    .venv/bin/python -c '
import os
from tests.cluster.conftest import CLUSTER_ENV
os.environ.update(CLUSTER_ENV)
from tweektrend_dagster.local_stack import local_stack
local_stack(echo=lambda line: None).down()'
  fi
}
[ "${TWEEKTREND_TEST_KEEP_STACK:-0}" = 1 ] || trap stop_test_stack EXIT
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
