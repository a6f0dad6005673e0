"""The Dagster runs a bench waited for, as Dagster reports them (GraphQL of `dagster dev`)."""

from __future__ import annotations

import json
import urllib.request


def dagster_runs(url: str, since: float, tags: dict[str, str] | None = None,
                 limit: int = 200) -> list[dict]:
    """Runs started at or after `since` (epoch s), with `tags` if given: runId, jobName,
    status, startTime, endTime (None while running), tags."""
    query = """query($tags: [ExecutionTag!], $limit: Int) {
                 runsOrError(filter: {tags: $tags}, limit: $limit) { ... on Runs { results {
                 runId jobName status startTime endTime tags { key value } } } } }"""
    variables = {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
                 "limit": limit}
    req = urllib.request.Request(f"{url}/graphql",
                                 data=json.dumps({"query": query, "variables": variables}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        runs = json.load(resp)["data"]["runsOrError"]["results"]
    return [r for r in runs if (r["startTime"] or 0) >= since]
