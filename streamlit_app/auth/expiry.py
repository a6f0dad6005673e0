"""Documents that expire: a TTL index where the server has one (MongoDB), and a purge on use
where it has not. FerretDB 1.24 refuses `expireAfterSeconds` with NotImplemented (code 238;
TTL indexes came in FerretDB 2.0), so there expired documents would stay forever: every
store that keeps them also calls its `Purge` when used, and no rule depends on the deletion
(readers check the expiry time themselves)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pymongo.collection import Collection

from streamlit_app.auth.common import now
from tweektrend_dagster.clients import ensure_ttl_index as ensure_ttl_index


class Purge:
    """Deletes a collection's expired documents, at most once per `every` (cheap to call on
    every login or sign-up)."""

    def __init__(
        self,
        collection: Collection,
        expired: Callable[[datetime], Mapping[str, Any]],
        every: timedelta = timedelta(minutes=1),
    ) -> None:
        self.collection = collection
        self.expired = expired
        self.every = every.total_seconds()
        self._last = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, force: bool = False) -> int:
        with self._lock:
            due = force or time.monotonic() - self._last >= self.every
            if due:
                self._last = time.monotonic()
        if not due:
            return 0
        return self.collection.delete_many(dict(self.expired(now()))).deleted_count
