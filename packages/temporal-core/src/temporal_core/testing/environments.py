"""``WorkflowEnvironment`` factories that use the bundled server binaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from temporal_core.observability.tracing import temporal_plugins
from temporal_core.testing.dev_server import bundled_binary, dev_server_search_attributes

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


async def start_dev_environment(
    *, extra_search_attributes: Mapping[str, str] | None = None, **options: Any
) -> WorkflowEnvironment:
    """A real dev server on a free loopback port, with the search attributes registered.

    Registers the guide's search attributes, those installed packages declare (entry point group
    ``temporal_core.search_attributes``) and ``extra_search_attributes`` (name -> type). Uses
    the pydantic data converter and the tracing plugin like production clients do.
    ``options`` go to ``WorkflowEnvironment.start_local``.
    """
    attributes = [
        _KEY_FACTORIES[kind](name)  # pyright: ignore[reportUnknownMemberType]
        for name, kind in dev_server_search_attributes(extra_search_attributes).items()
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
