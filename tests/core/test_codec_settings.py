"""``CODEC_*`` settings and the AES-GCM codec as pure logic: key formats, errors, round trips."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporal_core.client.codec import (
    ENCRYPTED_ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    PayloadDecryptionError,
)
from temporal_core.client.codec_settings import CodecSettings, load_payload_codec
from temporal_core.client.key_ring import KeyRing, new_key_entry, parse_keys
from temporal_core.client.settings import SettingsError
from temporalio.api.common.v1 import Payload

KEY_A = new_key_entry("a")
KEY_B = new_key_entry("b")
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email": "ada@example.com"}')


def settings(**values: object) -> CodecSettings:
    """Settings from these values only (the process environment is not read)."""
    return CodecSettings.model_construct(**{"enabled": True, **values})  # type: ignore[arg-type]


def test_keys_read_as_entries_or_json_from_a_variable_or_a_file(tmp_path: Path) -> None:
    entries = parse_keys(f"{KEY_A},{KEY_B}")
    as_json = json.dumps(
        {key_id: base64.b64encode(key).decode() for key_id, key in entries.items()}
    )
    assert parse_keys(as_json) == entries
    file = tmp_path / "codec-keys"
    file.write_text(f"# rotated 2026-11\n{KEY_A}\n{KEY_B}\n")
    ring = settings(keys_file=file, current_key_id="b").key_ring()
    assert ring is not None
    assert (dict(ring.keys), ring.current_id) == (entries, "b")


def test_one_key_is_current_without_saying_so() -> None:
    ring = settings(keys=SecretStr(KEY_A)).key_ring()
    assert ring is not None
    assert ring.current_id == "a"


@pytest.mark.parametrize(
    ("values", "variable", "says"),
    [
        ({"keys": SecretStr("a:not base64!")}, "CODEC_KEYS", "not valid base64"),
        ({"keys": SecretStr("a:" + base64.b64encode(b"short").decode())}, "CODEC_KEYS", "5 bytes"),
        ({"keys": SecretStr("just-a-key")}, "CODEC_KEYS", "not id:base64key"),
        ({"keys": SecretStr(KEY_A), "current_key_id": "z"}, "CODEC_CURRENT_KEY_ID", "'z'"),
        ({"keys": SecretStr(f"{KEY_A},{KEY_B}")}, "CODEC_CURRENT_KEY_ID", "several keys"),
        ({"keys_file": Path("/nonexistent/keys")}, "CODEC_KEYS_FILE", "cannot read"),
        ({}, "CODEC_KEYS_FILE", "codec-server new-key"),
    ],
)
def test_unusable_keys_are_a_settings_error_naming_the_variable(
    values: dict[str, object], variable: str, says: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        settings(**values).payload_codec()
    assert variable in str(raised.value)
    assert says in str(raised.value)


def test_a_key_is_never_echoed_in_an_error() -> None:
    key = base64.b64encode(b"k" * 31).decode()
    with pytest.raises(SettingsError) as raised:
        settings(keys=SecretStr(f"a:{key}")).payload_codec()
    assert key not in str(raised.value)


def test_turning_encryption_off_is_explicit_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    assert load_payload_codec(settings(enabled=False)) is None
    assert "payload encryption is OFF" in caplog.text
    assert CodecSettings.load(enabled="false").enabled is False


async def test_encrypted_payloads_decrypt_with_any_key_of_the_ring() -> None:
    old = EncryptionCodec(KeyRing(keys=parse_keys(KEY_A), current_id="a"))
    rotated = EncryptionCodec(KeyRing(keys=parse_keys(f"{KEY_A},{KEY_B}"), current_id="b"))
    (sealed_a,) = await old.encode([PLAIN])
    (sealed_b,) = await rotated.encode([PLAIN])
    assert sealed_a.metadata == {"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: b"a"}
    assert sealed_b.metadata[KEY_ID_METADATA] == b"b"
    assert b"ada@example.com" not in sealed_a.SerializeToString()
    assert await rotated.decode([sealed_a, sealed_b, PLAIN]) == [PLAIN, PLAIN, PLAIN]
    with pytest.raises(PayloadDecryptionError, match="'b', which is not configured"):
        await old.decode([sealed_b])


async def test_a_payload_relabelled_with_another_key_id_does_not_decrypt() -> None:
    both = EncryptionCodec(KeyRing(keys=parse_keys(f"{KEY_A},{KEY_B}"), current_id="a"))
    (sealed,) = await both.encode([PLAIN])
    sealed.metadata[KEY_ID_METADATA] = b"b"
    with pytest.raises(PayloadDecryptionError, match="wrong or the payload was altered"):
        await both.decode([sealed])
