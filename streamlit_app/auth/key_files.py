"""The dashboard's two keys when the environment gives none: the signing key
(TWEEKTREND_SECRET_KEY, else `$TWEEKTREND_HOME/secret_key`) and the Fernet data keys
(TWEEKTREND_DATA_KEY, else `$TWEEKTREND_HOME/data_key`), each file generated once with mode
0600 so every process of one installation reads the same key."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from tweektrend_dagster.config import Settings

DATA_KEY_ENV = "TWEEKTREND_DATA_KEY"


def key_file(path: Path, make: Callable[[], str]) -> str:
    """The key stored in `path`, created once with mode 0600 when missing."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a 0600 temp file, then linked in: when two processes race, one link wins
    # and both read the same complete key back (never a half-written file).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def load_secret(settings: Settings) -> str:
    """The signing key: TWEEKTREND_SECRET_KEY, else one generated once under the data dir."""
    if settings.secret_key:
        return settings.secret_key
    return key_file(Path(settings.home) / "secret_key", lambda: secrets.token_urlsafe(48))


def load_data_keys(settings: Settings) -> list[str]:
    """Fernet keys for secrets stored in Mongo (users' X keys), separate from the signing key:
    TWEEKTREND_DATA_KEY, comma-separated for rotation (the first encrypts, all decrypt),
    else one generated once under the data dir."""
    if settings.data_keys:
        return list(settings.data_keys)
    return [key_file(Path(settings.home) / "data_key", lambda: Fernet.generate_key().decode())]
