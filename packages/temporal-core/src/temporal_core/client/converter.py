"""Pydantic models in and out of Temporal, whichever client a caller hands us.

Services create clients with the pydantic data converter. A developer may still pass a client
of their own, as the guide's integration-test sample does with a bare ``Client.connect(...)``;
the SDK's default converter handles pydantic models only through pydantic's deprecated v1 API.
So helpers that take a client use :func:`pydantic_client`, which gives a sibling client on the
same connection with the pydantic payload converter (codec and failure converter kept).
"""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DefaultPayloadConverter

__all__ = ["pydantic_client"]


def pydantic_client(client: Client) -> Client:
    """``client`` itself if it converts pydantic models natively, else a sibling that does.

    Only a client on the SDK's default payload converter is replaced; a custom converter is the
    caller's choice and is kept. The sibling shares the connection (``Client(**config)`` opens
    nothing), so building one per call costs microseconds and needs no cache keyed by client.
    """
    if client.data_converter.payload_converter_class is not DefaultPayloadConverter:
        return client
    config = client.config()
    config["data_converter"] = dataclasses.replace(
        client.data_converter, payload_converter_class=PydanticPayloadConverter
    )
    return Client(**config)
