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


def _graphql(url: str, query: str, variables: dict) -> dict:
    req = urllib.request.Request(f"{url}/graphql",
                                 data=json.dumps({"query": query, "variables": variables}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        body = json.load(resp)
    if body.get("errors"):
        raise RuntimeError(f"Dagster GraphQL: {body['errors']}")
    return body["data"]


def launch_run(url: str, job: str, run_config: dict, tags: dict[str, str],
               location: str = "tweektrend") -> str:
    """Launch `job` on the running `dagster dev` as the sensors would; returns the run id."""
    query = """mutation($params: ExecutionParams!) { launchPipelineExecution(executionParams:
                 $params) { __typename ... on LaunchRunSuccess { run { runId } }
                 ... on PythonError { message } ... on RunConfigValidationInvalid {
                 errors { message } } ... on InvalidSubsetError { message } } }"""
    params = {
        "selector": {"repositoryLocationName": location, "repositoryName": "__repository__",
                     "pipelineName": job},
        "runConfigData": run_config,
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    result = _graphql(url, query, {"params": params})["launchPipelineExecution"]
    if result["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"launching {job}: {result}")
    return result["run"]["runId"]


def run_status(url: str, run_id: str) -> dict:
    """status, startTime and endTime (epoch s) of one run."""
    query = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime
                 endTime } } }"""
    return _graphql(url, query, {"id": run_id})["runOrError"]
