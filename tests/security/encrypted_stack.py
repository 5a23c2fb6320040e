"""A dev server of its own, worker processes with encryption keys, and clients with or without.

Shared by the payload encryption and codec server tests: each module gets a dev server that only
its workers poll (they serve the real queue names), and every payload of a history can be walked
to check what Temporal actually stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from google.protobuf.message import Message
from temporal_core.client.codec import EncryptionCodec
from temporal_core.client.key_ring import KeyRing, parse_keys
from temporal_core.testing.dev_server import free_port
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.workers.worker_processes import PYTHON, ServeProcess, wait_for_health, worker_env

SERVE = str(Path(PYTHON).parent / "serve")


def codec_for(keys: str, current: str) -> EncryptionCodec:
    """The codec a service with ``CODEC_KEYS=keys`` and ``CODEC_CURRENT_KEY_ID=current`` uses."""
    return EncryptionCodec(KeyRing(keys=parse_keys(keys), current_id=current))


async def client_for(address: str, codec: EncryptionCodec | None) -> Client:
    """A pydantic client on ``address``; with ``codec`` it encrypts and decrypts like a service."""
    converter = pydantic_data_converter
    if codec is not None:
        converter = dataclasses.replace(converter, payload_codec=codec)
    return await Client.connect(address, data_converter=converter)


async def start_worker(
    package: str, address: str, data_dir: Path, *, keys: str, current: str
) -> ServeProcess:
    """``serve`` for ``package`` as a real process with these keys, once its health says ready."""
    health_port = free_port()
    env = worker_env(
        address,
        data_dir,
        SERVE_PACKAGE=package,
        WORKER_HEALTH_PORT=str(health_port),
        CODEC_ENABLED="true",
        CODEC_KEYS=keys,
        CODEC_CURRENT_KEY_ID=current,
    )
    process = ServeProcess([SERVE], env=env)
    try:
        await wait_for_health(health_port, 200, process)
    except BaseException:
        process.kill()
        raise
    return process


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every ``Payload`` anywhere inside ``message`` (events, headers, memos, failures...)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            entries = value.values()
        elif field.is_repeated:
            entries = value
        else:
            entries = [value]
        for entry in entries:
            if isinstance(entry, Message):
                yield from payloads_in(entry)
