"""The local stack's payload encryption key and codec server token, made once per data folder.

Encryption is on in the local stack as everywhere else, so a developer sees what production
stores (ciphertext) and the Web UI decodes it through the codec server. The key file outlives a
run: ``--persist`` keeps histories across runs, and they must stay readable. Rotating a key
locally is what it is in production: append a new entry
(``uv run --package codec-server codec-server new-key --id dev-2 >> .data/codec-keys``) and
restart; the newest entry in the file becomes the current key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from temporal_core.client.key_ring import KeyRingError, new_key_entry, parse_keys

from dev_stack.config import StackError

__all__ = ["CodecSecrets", "ensure_codec_secrets"]

FIRST_KEY_ID = "dev-1"
_KEYS_FILE = "codec-keys"
_TOKEN_FILE = "codec-token"


@dataclass(frozen=True)
class CodecSecrets:
    """Where the stack's key file and token are, and which key encrypts."""

    keys_file: Path
    current_key_id: str
    token_file: Path
    token: str


def ensure_codec_secrets(data_dir: Path) -> CodecSecrets:
    """Read the key file and token under ``data_dir``, making each the first time."""
    keys_file = data_dir / _KEYS_FILE
    if not keys_file.exists():
        _write_private(keys_file, new_key_entry(FIRST_KEY_ID) + "\n")
    try:
        keys = parse_keys(keys_file.read_text())
    except KeyRingError as error:
        raise StackError(f"{keys_file}: {error} (delete the file to make a new key)") from None
    if not keys:
        raise StackError(f"{keys_file} holds no key (delete the file to make a new one)")
    token_file = data_dir / _TOKEN_FILE
    if not token_file.exists():
        _write_private(token_file, secrets.token_urlsafe(32) + "\n")
    token = token_file.read_text().strip()
    # The newest entry (appended last) is the current key: rotation is "append and restart".
    return CodecSecrets(
        keys_file=keys_file, current_key_id=list(keys)[-1], token_file=token_file, token=token
    )


def _write_private(path: Path, text: str) -> None:
    # Owner-only from the first byte: the key decrypts everything the stack ever stored.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
