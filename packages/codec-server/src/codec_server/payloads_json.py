"""Temporal's codec-server wire format: ``{"payloads": [...]}`` in protobuf JSON.

It is the proto3 JSON mapping of ``temporal.api.common.v1.Payloads``: each payload is
``{"metadata": {"encoding": "<base64>", ...}, "data": "<base64>"}``. The Web UI and the
``temporal`` CLI send and expect exactly that, so protobuf's own JSON codec reads and writes it.
"""

from __future__ import annotations

from typing import Any, cast

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

__all__ = ["PayloadsFormatError", "payloads_from_json", "payloads_to_json"]


class PayloadsFormatError(ValueError):
    """The body is not a ``Payloads`` message in protobuf JSON."""


def payloads_from_json(body: Any) -> list[Payload]:
    """The payloads of a decoded JSON request body."""
    if not isinstance(body, dict):
        raise PayloadsFormatError('the body must be a JSON object {"payloads": [...]}')
    message = Payloads()
    try:
        json_format.ParseDict(cast(dict[str, Any], body), message)
    except json_format.ParseError as error:
        raise PayloadsFormatError(f"not a Payloads message: {error}") from None
    return list(message.payloads)


def payloads_to_json(payloads: list[Payload]) -> dict[str, Any]:
    """The JSON answer for ``payloads``."""
    answer: dict[str, Any] = json_format.MessageToDict(Payloads(payloads=payloads))
    answer.setdefault("payloads", [])
    return answer
