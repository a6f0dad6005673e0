"""`python -m tweektrend_dagster.cli` (how the launcher and the tests start the command)."""

from tweektrend_dagster.cli import main

main()
