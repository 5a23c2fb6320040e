"""A dev server started by ``temporal_core`` (as ``uv run dev`` starts it) registers the search
attributes the installed packages declare, though ``temporal_core`` knows none of their names."""

from __future__ import annotations

from contracts.search_attributes import BUSINESS_SEARCH_ATTRIBUTES
from temporal_core.testing import DevServerProcess
from temporal_core.testing.dev_server import (
    GUIDE_SEARCH_ATTRIBUTES,
    declared_search_attributes,
    dev_server_command,
)
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client


def test_the_contracts_declare_the_business_attributes() -> None:
    assert declared_search_attributes() == BUSINESS_SEARCH_ATTRIBUTES


def test_extra_attributes_are_added_to_the_guide_s_and_the_declared_ones() -> None:
    command = " ".join(dev_server_command(port=7233, extra_search_attributes={"Region": "Text"}))
    wanted = {**GUIDE_SEARCH_ATTRIBUTES, **BUSINESS_SEARCH_ATTRIBUTES, "Region": "Text"}
    for name, kind in wanted.items():
        assert f"--search-attribute {name}={kind}" in command


async def test_a_started_dev_server_has_them_registered() -> None:
    server = DevServerProcess()
    await server.start()
    try:
        client = await Client.connect(server.address)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
    finally:
        await server.stop()
    registered = {
        name: IndexedValueType.Name(kind).removeprefix("INDEXED_VALUE_TYPE_").title()
        for name, kind in listed.custom_attributes.items()
    }
    for name, kind in {**GUIDE_SEARCH_ATTRIBUTES, **BUSINESS_SEARCH_ATTRIBUTES}.items():
        assert registered.get(name, "").replace("_", "").lower() == kind.lower(), registered
