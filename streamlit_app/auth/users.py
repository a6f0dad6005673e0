"""The account as the pages see it: `User`, read from a `users` document (never its password
hash or its keys, only whether X keys are stored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamlit_app.auth.x_keys import LEGACY_X_CREDS_FIELD, X_CREDS_FIELD


@dataclass(frozen=True)
class User:
    id: str
    email: str
    verified: bool
    pending_keywords: tuple[str, ...] = ()
    has_x_credentials: bool = False
    spike_alerts: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        return cls(
            id=doc["_id"],
            email=doc["email"],
            verified=bool(doc.get("verified")),
            pending_keywords=tuple(doc.get("pending_keywords") or ()),
            # stored, not necessarily readable: see XKeyStore.load
            has_x_credentials=bool(doc.get(X_CREDS_FIELD) or doc.get(LEGACY_X_CREDS_FIELD)),
            spike_alerts=bool(doc.get("spike_alerts")),
        )
