"""X's batch compliance results (and plain id lists) → deletions.

A researcher keeping X data must remove what X reports deleted: X's batch compliance job
(`POST /2/compliance/jobs`, type `tweets`) returns one JSON object per line for the post ids
that changed, e.g. `{"id": "1", "action": "delete", "created_at": "…", "redacted_at": "…",
"reason": "deleted"}` (reasons: deleted, suspended, protected, deactivated). `scrub_geo` lines
ask to remove a post's location only: they are reported, not applied. A file of bare ids, one
per line (the list uploaded to the job), is read as deletions too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from tweektrend_dagster.tweets.checks import InvalidTweet, check_post_id, parse_iso_time
from tweektrend_dagster.tweets.events import Deletion

ORIGIN = "x-compliance"


@dataclass
class ComplianceRead:
    deletions: list[Deletion] = field(default_factory=list)
    not_deletions: dict[str, int] = field(default_factory=dict)  # action → lines (scrub_geo)
    problems: list[str] = field(default_factory=list)  # "line 3: id is not an integer: 'x'"


def read_compliance(lines: Iterable[str | bytes], network: str = "x") -> ComplianceRead:
    out = ComplianceRead()
    now = datetime.now(UTC)
    for number, line in enumerate(lines, 1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        text = text.strip()
        if not text:
            continue
        try:
            out_line = _deletion(text, network, now)
        except InvalidTweet as exc:
            out.problems.append(f"line {number}: {exc.reason}")
            continue
        if isinstance(out_line, str):
            out.not_deletions[out_line] = out.not_deletions.get(out_line, 0) + 1
        else:
            out.deletions.append(out_line)
    return out


def _deletion(text: str, network: str, now: datetime) -> Deletion | str:
    if not text.startswith("{"):
        return Deletion(network=network, id=check_post_id(network, text), deleted_at=now,
                        origin=ORIGIN)
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidTweet("not JSON") from None
    if not isinstance(obj, dict):
        raise InvalidTweet("not a JSON object")
    action = obj.get("action", "delete")
    if action != "delete":
        return str(action)[:40]
    when = obj.get("redacted_at")
    deleted_at = parse_iso_time(when, "redacted_at") if when else now
    return Deletion(network=network, id=check_post_id(network, obj.get("id")),
                    deleted_at=deleted_at, origin=ORIGIN)
