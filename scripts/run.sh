#!/usr/bin/env bash
# The main job: the whole local stack (Kafka, Cassandra, FerretDB, ingestion workers, simulator,
# mail catcher, dagster dev, Streamlit). Prints every address. A second run is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
TWEEKTREND_SETUP_BROWSER=0 bash scripts/setup.sh
exec .venv/bin/tweektrend stack up "$@"
