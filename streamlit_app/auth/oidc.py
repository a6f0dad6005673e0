"""Accounts of identity-provider logins (st.login): the provider has verified the e-mail, so
the account is created verified, without a password, on first use."""

from __future__ import annotations

import uuid

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from streamlit_app.auth.common import now
from streamlit_app.auth.errors import AuthError
from streamlit_app.auth.passwords import email_problem, normalize_email
from streamlit_app.auth.users import User


def oidc_user(users: Collection, raw_email: str) -> User:
    """The account for an identity-provider login: created verified on first use (the
    provider has verified the e-mail), with no password."""
    email = normalize_email(raw_email)
    if problem := email_problem(email):
        raise AuthError(problem)
    doc = users.find_one({"email": email})
    if doc is None:
        doc = {
            "_id": uuid.uuid4().hex,
            "email": email,
            "verified": True,
            "oidc": True,
            "created_at": now(),
            "verified_at": now(),
            "pending_keywords": [],
        }
        try:
            users.insert_one(doc)
        except DuplicateKeyError:
            doc = users.find_one({"email": email}) or doc
    elif not doc.get("verified"):
        users.update_one({"_id": doc["_id"]}, {"$set": {"verified": True}})
        doc["verified"] = True
    return User.from_doc(doc)
