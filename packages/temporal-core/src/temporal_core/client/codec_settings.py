"""``CODEC_*`` settings: whether payloads are encrypted, and with which keys.

Kept apart from ``TemporalSettings`` because they are secrets with their own life (made once,
mounted as a file, rotated) and because the codec server reads them without any connection
settings. :func:`load_payload_codec` is what every service calls at start: it returns the codec,
``None`` when encryption is explicitly off (with a warning), or raises :class:`SettingsError`
naming the variable when the keys are missing or unusable.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Self

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from temporal_core.client.codec import EncryptionCodec
from temporal_core.client.key_ring import KeyRing, KeyRingError, parse_keys
from temporal_core.client.settings import SettingsError

__all__ = ["CODEC_ENV_PREFIX", "NEW_KEY_COMMAND", "CodecSettings", "load_payload_codec"]

logger = logging.getLogger(__name__)

CODEC_ENV_PREFIX = "CODEC_"
NEW_KEY_COMMAND = "uv run --package codec-server codec-server new-key --id k1 > codec-keys"
"""How a developer makes a key file; error messages and docs/security.md show it."""


class CodecSettings(BaseSettings):
    """Payload encryption settings, read from ``CODEC_*`` variables."""

    model_config = SettingsConfigDict(env_prefix=CODEC_ENV_PREFIX, extra="ignore")

    enabled: bool = True
    """Encrypt payloads. On by default; turning it off must be said (``CODEC_ENABLED=false``)."""
    keys: SecretStr | None = None
    """``id:base64key`` entries (comma- or line-separated) or a JSON object of them."""
    keys_file: Path | None = None
    """A file holding keys in the same format (a mounted compose or Kubernetes secret)."""
    current_key_id: str | None = None
    """The id new payloads are encrypted with; may be left out when there is one key."""

    @classmethod
    def load(cls, **values: Any) -> Self:
        """Read the environment (plus ``values``), raising :class:`SettingsError` on bad input."""
        try:
            return cls(**values)
        except ValidationError as error:
            problems = [
                f"  {CODEC_ENV_PREFIX}{'_'.join(str(p) for p in item['loc']).upper()}: "
                f"{item['msg']}"
                for item in error.errors(include_url=False)
            ]
            raise SettingsError(
                "\n".join(["invalid payload encryption settings:", *problems])
            ) from None

    def key_ring(self) -> KeyRing | None:
        """The configured keys, or None when there are none; :class:`SettingsError` if unusable."""
        keys: dict[str, bytes] = {}
        if self.keys_file is not None:
            variable = f"{CODEC_ENV_PREFIX}KEYS_FILE"
            try:
                text = self.keys_file.read_text()
            except OSError as error:
                raise SettingsError(
                    f"{variable}: cannot read {self.keys_file}: {error.strerror}"
                ) from None
            keys.update(_parsed(text, f"{variable} ({self.keys_file})"))
        if self.keys is not None:
            for key_id, key in _parsed(self.keys.get_secret_value(), "CODEC_KEYS").items():
                if keys.get(key_id, key) != key:
                    raise SettingsError(
                        f"CODEC_KEYS: key id {key_id!r} is also in CODEC_KEYS_FILE with a "
                        "different key"
                    )
                keys[key_id] = key
        if not keys:
            return None
        current = self.current_key_id
        if current is None:
            if len(keys) > 1:
                raise SettingsError(
                    f"{CODEC_ENV_PREFIX}CURRENT_KEY_ID: required when there are several keys "
                    f"(keys: {', '.join(sorted(keys))})"
                )
            current = next(iter(keys))
        if current not in keys:
            raise SettingsError(
                f"{CODEC_ENV_PREFIX}CURRENT_KEY_ID: {current!r} is not one of the configured "
                f"keys ({', '.join(sorted(keys))})"
            )
        return KeyRing(keys=keys, current_id=current)

    def payload_codec(self) -> EncryptionCodec | None:
        """The codec, or None when ``CODEC_ENABLED`` is false.

        Raises :class:`SettingsError` when encryption is on (the default) and no usable key is
        configured: a service that silently wrote plaintext would defeat the point of the
        setting, so it refuses to start and says how to make a key.
        """
        if not self.enabled:
            return None
        ring = self.key_ring()
        if ring is None:
            raise SettingsError(
                "payload encryption is on (CODEC_ENABLED defaults to true) but no key is "
                "configured: set CODEC_KEYS or CODEC_KEYS_FILE. Make a key file with\n"
                f"  {NEW_KEY_COMMAND}\n"
                "and set CODEC_KEYS_FILE=codec-keys, or set CODEC_ENABLED=false to store "
                "payloads in plaintext (docs/security.md, 'Payload encryption')"
            )
        return EncryptionCodec(ring)


def _parsed(text: str, source: str) -> dict[str, bytes]:
    try:
        return parse_keys(text)
    except KeyRingError as error:
        raise SettingsError(f"{source}: {error}") from None


def load_payload_codec(settings: CodecSettings | None = None) -> EncryptionCodec | None:
    """The codec every client of this process uses, or None when encryption is turned off.

    Logs which key encrypts, or a warning when encryption is off; raises :class:`SettingsError`
    as :meth:`CodecSettings.payload_codec` does.
    """
    settings = settings or CodecSettings.load()
    codec = settings.payload_codec()
    if codec is None:
        logger.warning(
            "payload encryption is OFF (CODEC_ENABLED=false): workflow inputs, results and "
            "activity arguments are stored in Temporal in plaintext"
        )
    else:
        ring = codec.key_ring
        logger.info(
            "payload encryption on: new payloads use key %s; %d key(s) decrypt",
            ring.current_id,
            len(ring.keys),
        )
    return codec
