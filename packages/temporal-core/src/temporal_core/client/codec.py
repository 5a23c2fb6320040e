"""AES-GCM payload encryption: what Temporal stores is ciphertext, never a customer's data.

:class:`EncryptionCodec` is a ``PayloadCodec``: the SDK runs it on every payload a client or
worker sends (workflow inputs and results, activity arguments and results, signals, queries,
updates, memos, failure details when encoded) and on every payload it receives. The payload
converter (pydantic) still turns models into JSON first; the codec only wraps the bytes.

An encrypted payload is ``nonce (12 bytes) + ciphertext + tag`` of the whole serialized inner
payload (its metadata included, so even the JSON encoding name is hidden), with metadata
``encoding: binary/encrypted`` and ``encryption-key-id: <id>``. The key id is also bound as
associated data, so a payload whose metadata was edited to name another key fails to decrypt
instead of decrypting wrongly. Payloads without that encoding pass through ``decode`` unchanged:
histories written before encryption was turned on stay readable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from temporal_core.client.key_ring import KeyRing

__all__ = [
    "ENCRYPTED_ENCODING",
    "KEY_ID_METADATA",
    "EncryptionCodec",
    "PayloadDecryptionError",
    "encrypted_data_converter",
]

ENCRYPTED_ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
_NONCE_BYTES = 12


class PayloadDecryptionError(ValueError):
    """An encrypted payload could not be decrypted (unknown key id, wrong key, tampering)."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with the ring's current key; decrypts with whichever key a payload names."""

    def __init__(self, key_ring: KeyRing) -> None:
        """Use ``key_ring``'s keys; one ``AESGCM`` per key is built once here."""
        self.key_ring = key_ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in key_ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt every payload with the current key."""
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt the payloads this codec encrypted; pass any other payload through."""
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """One payload, encrypted with the current key (synchronous, for the codec server too)."""
        key_id = self.key_ring.current_id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        """One payload, decrypted if this codec's encoding, else returned as it is."""
        if payload.metadata.get("encoding") != ENCRYPTED_ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload was encrypted with key {key_id!r}, which is not configured "
                f"(configured: {', '.join(sorted(self._ciphers))}); keep retired keys in "
                "CODEC_KEYS / CODEC_KEYS_FILE while histories that use them exist"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload does not decrypt with key {key_id!r}: the key is wrong or the payload "
                "was altered"
            ) from None
        inner = Payload()
        inner.ParseFromString(plain)
        return inner


def encrypted_data_converter(
    codec: PayloadCodec | None, base: DataConverter = pydantic_data_converter
) -> DataConverter:
    """``base`` (the pydantic converter) with ``codec`` applied, or ``base`` when codec is None."""
    if codec is None:
        return base
    return dataclasses.replace(base, payload_codec=codec)
