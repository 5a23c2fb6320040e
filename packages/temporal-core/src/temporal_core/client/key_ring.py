"""Payload encryption keys: several AES-256 keys, each with an id, one of them current.

Keys are written as ``id:base64key`` entries separated by commas or new lines (``#`` starts a
comment), or as a JSON object ``{"id": "base64key", ...}``. The same text is accepted from an
environment variable and from a mounted secret file, so a key made with
:func:`new_key_entry` can be pasted into either.

Several keys exist so that keys can rotate: new payloads are encrypted with the current key, and
a payload encrypted earlier names its key's id, which must stay in the ring until no history that
uses it is still needed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["KEY_BYTES", "KeyRing", "KeyRingError", "new_key_entry", "parse_keys"]

KEY_BYTES = 32
"""AES-256: the one key size accepted, so no deployment runs with a weaker key by accident."""

_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class KeyRingError(ValueError):
    """Key material that cannot be used; the message says what is wrong, never the key."""


@dataclass(frozen=True)
class KeyRing:
    """Keys by id and the id of the one new payloads are encrypted with."""

    keys: Mapping[str, bytes]
    current_id: str

    def __post_init__(self) -> None:
        """Refuse a ring whose current key is not in it."""
        if self.current_id not in self.keys:
            known = ", ".join(sorted(self.keys)) or "none"
            raise KeyRingError(f"current key id {self.current_id!r} is not a key (keys: {known})")

    @property
    def current_key(self) -> bytes:
        """The key new payloads are encrypted with."""
        return self.keys[self.current_id]


def parse_keys(text: str) -> dict[str, bytes]:
    """Keys by id from ``id:base64key`` entries or a JSON object (see the module docstring)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return _parse_json(stripped)
    keys: dict[str, bytes] = {}
    for raw_line in stripped.splitlines():
        line = raw_line.split("#", 1)[0]
        for entry in line.split(","):
            entry = entry.strip()
            if not entry:
                continue
            key_id, separator, encoded = entry.partition(":")
            if not separator:
                raise KeyRingError(
                    f"entry {_shown(entry)} is not id:base64key (e.g. k1:<32 bytes in base64>)"
                )
            _add(keys, key_id.strip(), encoded.strip())
    return keys


def _parse_json(text: str) -> dict[str, bytes]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise KeyRingError(f"not valid JSON: {error.msg} at position {error.pos}") from None
    if not isinstance(data, dict):
        raise KeyRingError('JSON keys must be an object {"id": "base64key"}')
    keys: dict[str, bytes] = {}
    for key_id, encoded in data.items():  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(encoded, str):
            raise KeyRingError(f"key {key_id!r} must be a base64 string")
        _add(keys, str(key_id), encoded)  # pyright: ignore[reportUnknownArgumentType]
    return keys


def _add(keys: dict[str, bytes], key_id: str, encoded: str) -> None:
    if not _KEY_ID.match(key_id):
        raise KeyRingError(
            f"key id {key_id!r} must be 1 to 64 letters, digits, '.', '_' or '-' "
            "(it is stored in every payload's metadata)"
        )
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"key {key_id!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyRingError(
            f"key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES} "
            f"({KEY_BYTES} random bytes, base64-encoded)"
        )
    if key_id in keys and keys[key_id] != key:
        raise KeyRingError(f"key id {key_id!r} is given twice with different keys")
    keys[key_id] = key


def _shown(entry: str) -> str:
    # An entry without a colon may be a bare key: never echo key material into a log line.
    return repr(entry) if len(entry) <= 16 else f"{entry[:4]!r}... ({len(entry)} characters)"


def new_key_entry(key_id: str) -> str:
    """A fresh random key as an ``id:base64key`` entry, ready for a key file or variable."""
    entry = f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
    parse_keys(entry)  # the id is checked the same way as when the entry is read back
    return entry
