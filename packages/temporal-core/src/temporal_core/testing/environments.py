"""``WorkflowEnvironment`` factories that use the bundled server binaries."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from temporal_core.observability.tracing import temporal_plugins
from temporal_core.testing.dev_server import GUIDE_SEARCH_ATTRIBUTES, bundled_binary

__all__ = ["start_dev_environment", "start_time_skipping_environment"]

_KEY_FACTORIES = {
    "Keyword": SearchAttributeKey.for_keyword,
    "Int": SearchAttributeKey.for_int,
    "Double": SearchAttributeKey.for_float,
    "Bool": SearchAttributeKey.for_bool,
    "Datetime": SearchAttributeKey.for_datetime,
    "Text": SearchAttributeKey.for_text,
    "KeywordList": SearchAttributeKey.for_keyword_list,
}


async def start_dev_environment(**options: Any) -> WorkflowEnvironment:
    """A real dev server on a free loopback port, with the guide's search attributes registered.

    Uses the pydantic data converter and the tracing plugin like production clients do.
    ``options`` go to ``WorkflowEnvironment.start_local``.
    """
    attributes = [
        _KEY_FACTORIES[kind](name)  # pyright: ignore[reportUnknownMemberType]
        for name, kind in GUIDE_SEARCH_ATTRIBUTES.items()
    ]
    options.setdefault("search_attributes", attributes)
    options.setdefault("data_converter", pydantic_data_converter)
    options.setdefault("plugins", temporal_plugins())
    options.setdefault("ip", "127.0.0.1")
    return await WorkflowEnvironment.start_local(  # pyright: ignore[reportUnknownMemberType]
        dev_server_existing_path=str(bundled_binary("temporal")), **options
    )


async def start_time_skipping_environment(**options: Any) -> WorkflowEnvironment:
    """The time-skipping test server on a free port (timers complete instantly)."""
    options.setdefault("data_converter", pydantic_data_converter)
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(bundled_binary("temporal-test-server")), **options
    )
