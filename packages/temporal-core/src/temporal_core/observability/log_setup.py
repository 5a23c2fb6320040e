"""``configure_logging``: one readable line per event in a terminal, or one JSON object per line.

Every service (workers and the API) calls :func:`configure_logging` once at start. Records carry
``trace_id`` / ``span_id`` when the telemetry record factory has set them (uvicorn's access lines
included: they are logged while the request's server span is current), and the Temporal SDK's
``temporal_workflow`` / ``temporal_activity`` context when a workflow or activity logged them; both
formats show these so a log line can be matched to its trace and its workflow.

No line carries an e-mail address: :class:`MaskEmails`, installed on the handler, rewrites the
formatted message and the exception text of every record (``ada@example.com`` becomes
``a***@example.com``), whichever library logged it, so a customer's address in a workflow input,
an exception or an SDK message never reaches a log collector.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, TextIO, cast

__all__ = [
    "LOG_FORMATS",
    "LOG_LEVELS",
    "JsonFormatter",
    "LogFormat",
    "LogFormatOption",
    "LogLevelOption",
    "MaskEmails",
    "TextFormatter",
    "configure_logging",
    "mask_emails",
]

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")


class LogLevelOption(StrEnum):
    """The ``--log-level`` choices every service's command line offers."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class LogFormatOption(StrEnum):
    """The ``--log-format`` choices: ``text`` for terminals, ``json`` for log collectors."""

    TEXT = "text"
    JSON = "json"


LOG_LEVELS = tuple(level.value for level in LogLevelOption)

_CORRELATION_FIELDS = ("trace_id", "span_id")
_TEMPORAL_CONTEXT_FIELDS = ("temporal_workflow", "temporal_activity")


_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def mask_emails(text: str) -> str:
    """``text`` with each e-mail address shown as its first character, ``***`` and its domain.

    The domain stays: it tells an operator which provider bounced without naming the person.
    """
    return _EMAIL.sub(r"\1***@\2", text)


class MaskEmails(logging.Filter):
    """Masks e-mail addresses in a record's message (arguments merged in) and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; never drops it."""
        message = record.getMessage()
        masked = mask_emails(message)
        if masked != message or record.args:
            # The arguments are merged into the message here, so no formatter can put an
            # unmasked argument back.
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_emails(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_emails(record.stack_info)
        return True


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    # MaskEmails leaves the masked traceback in exc_text; format it only when no filter ran.
    if record.exc_text:
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else None


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _present(record: logging.LogRecord, name: str) -> Any:
    value = getattr(record, name, None)
    # A correlation source may set an empty or all-zero id when no span is active; hide those.
    if value in (None, "", "0" * 32, "0" * 16):
        return None
    return value


class TextFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger>: <message> [trace_id=... span_id=...]`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one line (tracebacks are indented onto following lines)."""
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        tags = [
            f"{name}={value}"
            for name in _CORRELATION_FIELDS
            if (value := _present(record, name)) is not None
        ]
        if tags:
            line += f" [{' '.join(tags)}]"
        if (exception := _exception_text(self, record)) is not None:
            line += "\n" + exception
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and any correlation fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a single-line JSON object."""
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in (*_CORRELATION_FIELDS, *_TEMPORAL_CONTEXT_FIELDS):
            value = _present(record, name)
            if value is not None:
                entry[name] = value
        if (exception := _exception_text(self, record)) is not None:
            entry["exception"] = exception
        return json.dumps(entry, default=str)


def configure_logging(level: str, fmt: str, *, stream: TextIO | None = None) -> None:
    """Send every log record at ``level`` or above to ``stream`` (stderr) in ``fmt``.

    E-mail addresses are masked in every line (:class:`MaskEmails`).
    ``level`` is a standard level name (any case); ``fmt`` is ``text`` or ``json``. Calling it
    again replaces the handler, so the last call wins. Raises ``ValueError`` for unknown values.
    """
    level_name = level.strip().upper()
    if level_name not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
    format_name = fmt.strip().lower()
    if format_name not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; use one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if format_name == "json" else TextFormatter())
    handler.addFilter(MaskEmails())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_temporal_core_handler", False):
            root.removeHandler(existing)
    cast(Any, handler)._temporal_core_handler = True
    root.addHandler(handler)
    root.setLevel(level_name)
