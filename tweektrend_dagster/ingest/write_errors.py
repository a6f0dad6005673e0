"""Is a failed Cassandra write the message's fault (permanent) or the cluster's (transient)?

A permanent error comes back identically however often the same row is sent: the row cannot be
bound (a count beyond `int`, a list where text belongs), Cassandra refuses the request itself
(InvalidRequest: a key over 64 KiB, a mutation over `max_mutation_size`, "Batch too large"). Those
rows' messages go to the dead-letter topic. Everything else (timeouts, a node down, overload, a
lost connection) is the cluster's and is retried with back-off: dead-lettering on it would empty
the stream into the DLQ during an outage.
"""

from __future__ import annotations

import struct

from cassandra import InvalidRequest

# Raised by the driver while serialising a value (BoundStatement.bind, the routing key). The
# workers bind while building a batch, where any exception of bind() counts as the row's; at
# execution only the routing key is still serialised.
BIND_ERRORS = (TypeError, ValueError, OverflowError, struct.error)

# InvalidRequest about the schema, not the row: every message would fail alike, so it must be
# retried (and fixed by an operator), never dead-lettered one message after the other.
_SCHEMA_WORDS = ("unconfigured table", "does not exist", "undefined column", "unknown identifier")
# Server answers about a request's size, whatever exception class carries them.
_SIZE_WORDS = ("too large", "oversized mutation", "exceeded max", "longer than maximum")


def is_permanent(exc: BaseException) -> bool:
    """True when sending the same rows again cannot succeed."""
    if isinstance(exc, InvalidRequest):
        text = str(exc).lower()
        return not any(word in text for word in _SCHEMA_WORDS)
    if isinstance(exc, BIND_ERRORS):
        return True
    text = str(exc).lower()
    return any(word in text for word in _SIZE_WORDS)


def reason(exc: BaseException) -> str:
    """A short dead-letter reason: the error class and the server's or driver's words."""
    text = str(exc)
    marker = 'message="'
    if marker in text:  # "Error from server: code=2200 [Invalid query] message="…""
        text = text.split(marker, 1)[1].rstrip('"')
    return f"Cassandra refused the row ({type(exc).__name__}: {text})"[:500]
