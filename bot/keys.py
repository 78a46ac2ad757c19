"""The store's two keys, kept outside the database.

The user-hash key turns platform ids into pseudonyms. Kept in the same database as the
hashes, anyone with a copy of the database could hash ids they know (a phone number, a
Telegram id) and find those people's questions. The token key encrypts channel tokens at rest.

Each comes from the environment (CDS_USER_HASH_SECRET, CDS_TOKEN_KEY) or, when unset, from a
key file readable by its owner only (0600; by default next to the database, e.g.
data/cds-bot.key), generated on first run. Lose it and the stored tokens cannot be read and
new hashes no longer match old ones: it is backed up like the database, but kept apart from
the database's copies.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from .errors import CdsError

log = logging.getLogger(__name__)

USER_HASH = "user_hash_secret"
TOKEN = "token_key"
SESSION = "session_secret"
FERNET_KEY_HELP = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class KeyFileError(CdsError):
    """The key file or a key setting cannot be used."""


@dataclass(frozen=True)
class Keys:
    user_hash: bytes
    token: Fernet


def key_file_for(db_path: Path | str) -> Path:
    """The default key file of a database: beside it, with the suffix .key."""
    return Path(db_path).with_suffix(".key")


def load_keys(
    path: Path,
    user_hash_secret: str | None = None,
    token_key: str | None = None,
    legacy_user_hash: str | None = None,
) -> Keys:
    """The keys: each from its argument (the environment) or the key file at `path`, which
    is created or completed as needed. `legacy_user_hash`, a key found in an old database,
    is moved into the file so that existing hashes keep matching."""
    saved = _read(path)
    missing = dict(saved)
    if legacy_user_hash and USER_HASH not in missing:
        missing[USER_HASH] = legacy_user_hash
    if user_hash_secret is None and USER_HASH not in missing:
        missing[USER_HASH] = secrets.token_hex(32)
    if token_key is None and TOKEN not in missing:
        missing[TOKEN] = Fernet.generate_key().decode()
    if missing != saved:
        if not _write(path, missing, replace=bool(saved)):
            # Another replica sharing this folder created the file first: use its keys.
            return load_keys(path, user_hash_secret, token_key, legacy_user_hash)
        log.info("wrote keys to %s: back this file up, apart from the database", path)
    token = token_key if token_key is not None else missing[TOKEN]
    where = "CDS_TOKEN_KEY" if token_key is not None else f"{TOKEN} in {path}"
    secret = user_hash_secret if user_hash_secret is not None else missing[USER_HASH]
    return Keys(secret.encode(), _fernet(token, where))


def given_keys(user_hash_secret: str, token_key: str) -> Keys:
    """The keys as set in the environment, with no key file."""
    return Keys(user_hash_secret.encode(), _fernet(token_key, "CDS_TOKEN_KEY"))


def _fernet(token: str, where: str) -> Fernet:
    try:
        return Fernet(token.encode())
    except ValueError:
        raise KeyFileError(
            f"{where} is not a Fernet key (32 url-safe base64-encoded bytes). Make one with:\n"
            f"    {FERNET_KEY_HELP}"
        ) from None


def session_key(path: Path, session_secret: str | None = None) -> bytes:
    """The key signing the console's session cookies: the setting, or the key file's
    (generated on first use). A new key signs everyone out."""
    if session_secret is not None:
        return session_secret.encode()
    saved = _read(path)
    if SESSION not in saved:
        if _write(path, {**saved, SESSION: secrets.token_hex(32)}, replace=bool(saved)):
            log.info("wrote the console's session key to %s", path)
        saved = _read(path)  # what the file holds now, whichever process wrote it
        if SESSION not in saved:  # another process rewrote it without one meanwhile
            return session_key(path)
    return saved[SESSION].encode()


def _read(path: Path) -> dict[str, str]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if stat.S_IMODE(mode) & 0o077:
        os.chmod(path, 0o600)
        log.warning("%s was readable by others; it is now readable by its owner only", path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"Cannot read the key file {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise KeyFileError(f"The key file {path} is not a JSON object of strings.")
    return data


def _write(path: Path, values: dict[str, str], replace: bool) -> bool:
    """Write the key file; a new one (`replace` false) only if no other process has made it
    meanwhile (False then): replicas starting together must agree on one set of keys."""
    # Written whole to a private temporary file, then renamed (or linked, which refuses to
    # overwrite): never half a key file, and never a moment where it is readable by others.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(values, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        finally:
            temporary.unlink(missing_ok=True)
        return True
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
