"""Users' X API keys (for the live feed's like / repost / reply), encrypted at rest: a Fernet
token of their JSON in `users.x_credentials_enc`, never the plaintext. Plaintext
`x_credentials` of older versions is encrypted on first read and by a sweep at dashboard start;
a token made with a rotated-out key is re-encrypted with the first key when read; keys saved
under a data key this server lacks read as "unreadable" (kept, so restoring the key restores
them)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from pymongo.collection import Collection

from streamlit_app.auth.cipher import DataCipher

X_CREDS_FIELD = "x_credentials_enc"
LEGACY_X_CREDS_FIELD = "x_credentials"  # plaintext dict of documents written before encryption


class XKeyStore:
    """The X keys of every user, in the `users` collection, sealed with `cipher`."""

    def __init__(self, users: Collection, cipher: DataCipher) -> None:
        self.users = users
        self.cipher = cipher

    def save(self, user_id: str, creds: dict[str, str] | None) -> None:
        """Save the user's X keys encrypted (dropping any plaintext copy), or remove them."""
        if creds:
            update = {
                "$set": {X_CREDS_FIELD: self.cipher.seal(creds)},
                "$unset": {LEGACY_X_CREDS_FIELD: ""},
            }
        else:
            update = {"$unset": {X_CREDS_FIELD: "", LEGACY_X_CREDS_FIELD: ""}}
        self.users.update_one({"_id": user_id}, update)

    def load(self, user_id: str) -> tuple[str, dict[str, str] | None]:
        """("none" | "saved" | "unreadable", the keys when saved and readable)."""
        doc = self.users.find_one({"_id": user_id}, {X_CREDS_FIELD: 1, LEGACY_X_CREDS_FIELD: 1})
        doc = doc or {}
        # Plaintext from before encryption is encrypted on first read (and at dashboard start),
        # not at the next save, which may never come.
        if LEGACY_X_CREDS_FIELD in doc:
            self._encrypt_legacy(doc)
        token = doc.get(X_CREDS_FIELD)
        if not token:
            return "none", None
        try:
            creds, old_key = self.cipher.unseal(token)
        except (InvalidToken, ValueError, TypeError):
            return "unreadable", None  # key lost or changed: the user enters the keys again
        if old_key:  # rotation: re-encrypt with the first key so older keys can be retired
            self.users.update_one(
                {"_id": user_id, X_CREDS_FIELD: token},
                {"$set": {X_CREDS_FIELD: self.cipher.seal(creds)}},
            )
        return "saved", creds

    def encrypt_all_legacy(self) -> int:
        """Encrypt every plaintext `x_credentials` left from before encryption; returns how many."""
        legacy = self.users.find(
            {LEGACY_X_CREDS_FIELD: {"$exists": True}}, {X_CREDS_FIELD: 1, LEGACY_X_CREDS_FIELD: 1}
        )
        return sum(self._encrypt_legacy(doc) for doc in legacy)

    def _encrypt_legacy(self, doc: dict[str, Any]) -> bool:
        """Replace a document's plaintext X keys by their encrypted form (an existing encrypted
        copy wins); updates `doc` in place. The filter skips a document rewritten meanwhile."""
        legacy = doc.pop(LEGACY_X_CREDS_FIELD, None)
        update: dict[str, Any] = {"$unset": {LEGACY_X_CREDS_FIELD: ""}}
        if legacy and not doc.get(X_CREDS_FIELD):
            doc[X_CREDS_FIELD] = self.cipher.seal(legacy)
            update["$set"] = {X_CREDS_FIELD: doc[X_CREDS_FIELD]}
        query = {"_id": doc["_id"], LEGACY_X_CREDS_FIELD: {"$exists": True}}
        return self.users.update_one(query, update).modified_count > 0
