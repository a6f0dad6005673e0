"""The dead-letter topic: the original bytes as value, the reason and origin in headers."""

from __future__ import annotations


def dead_letter_headers(
    reason: str,
    stage: str,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> list:
    headers = [("error", reason.encode("utf-8", "replace")[:1000]), ("stage", stage.encode())]
    if topic is not None:
        headers += [
            ("source_topic", topic.encode()),
            ("source_partition", str(partition).encode()),
            ("source_offset", str(offset).encode()),
        ]
    return headers


def header_dict(headers: list | None) -> dict[str, str]:
    return {k: (v or b"").decode("utf-8", "replace") for k, v in headers or []}
