"""configure_logging: readable text lines or JSON objects, with trace and workflow context."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from temporal_core.observability.log_setup import configure_logging


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def test_text_is_one_readable_line_with_trace_ids(captured: io.StringIO) -> None:
    configure_logging("info", "text", stream=captured)
    logging.getLogger("shop").info(
        "charged %s", "o-1", extra={"trace_id": "a" * 32, "span_id": "b" * 16}
    )
    logging.getLogger("shop").debug("hidden below INFO")

    (line,) = captured.getvalue().splitlines()
    assert line.endswith(f"INFO    shop: charged o-1 [trace_id={'a' * 32} span_id={'b' * 16}]")


def test_json_is_one_object_per_line_with_context(captured: io.StringIO) -> None:
    configure_logging("DEBUG", "json", stream=captured)
    logging.getLogger("shop").debug("plain")
    logging.getLogger("shop").warning(
        "step failed",
        extra={"trace_id": "c" * 32, "span_id": "d" * 16, "temporal_workflow": {"id": "w-1"}},
    )
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("shop").exception("with traceback")

    plain, failed, crashed = (json.loads(line) for line in captured.getvalue().splitlines())
    assert (plain["level"], plain["logger"], plain["message"]) == ("DEBUG", "shop", "plain")
    assert "trace_id" not in plain
    assert failed["trace_id"] == "c" * 32
    assert failed["span_id"] == "d" * 16
    assert failed["temporal_workflow"] == {"id": "w-1"}
    assert "ValueError: boom" in crashed["exception"]


def test_a_second_call_replaces_the_handler(captured: io.StringIO) -> None:
    configure_logging("INFO", "text", stream=io.StringIO())
    configure_logging("INFO", "json", stream=captured)
    logging.getLogger("shop").info("once")

    assert len(captured.getvalue().splitlines()) == 1


def test_unknown_values_are_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("LOUD", "text")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("INFO", "xml")
