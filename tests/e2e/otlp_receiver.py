"""A tiny OTLP/HTTP trace receiver: what a collector would get, decoded for assertions."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

TRACES_PATH = "/v1/traces"


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, flattened with the ``service.name`` of the process that sent it."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    is_error: bool
    status_message: str
    duration_ns: int
    attributes: dict[str, str]

    @classmethod
    def from_proto(cls, service: str, span: Span) -> ReceivedSpan:
        """Flatten ``span``; attribute values become strings."""
        attributes = {item.key: _text(item.value) for item in span.attributes}
        return cls(
            service=service,
            name=span.name,
            trace_id=span.trace_id.hex(),
            span_id=span.span_id.hex(),
            parent_span_id=span.parent_span_id.hex(),
            kind=span.kind,
            is_error=span.status.code == Status.STATUS_CODE_ERROR,
            status_message=span.status.message,
            duration_ns=span.end_time_unix_nano - span.start_time_unix_nano,
            attributes=attributes,
        )


def _text(value: object) -> str:
    for name in ("string_value", "int_value", "bool_value", "double_value"):
        if value.HasField(name):  # type: ignore[attr-defined]
            return str(getattr(value, name))
    return ""


class OtlpReceiver:
    """Listens on 127.0.0.1 (a free port) for ``POST /v1/traces`` in protobuf, keeps the spans."""

    def __init__(self) -> None:
        """Bind now, so ``endpoint`` is known before the services start."""
        self.spans: list[ReceivedSpan] = []
        self.requests = 0
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != TRACES_PATH:
                    self.send_response(404)
                    self.end_headers()
                    return
                request = ExportTraceServiceRequest.FromString(body)
                receiver._add(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output to the stack's own logs

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the exporter adds /v1/traces)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _add(self, request: ExportTraceServiceRequest) -> None:
        received: list[ReceivedSpan] = []
        for resource_spans in request.resource_spans:
            service = next(
                (
                    _text(item.value)
                    for item in resource_spans.resource.attributes
                    if item.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                received += [ReceivedSpan.from_proto(service, span) for span in scope_spans.spans]
        with self._changed:
            self.requests += 1
            self.spans += received
            self._changed.notify_all()

    def wait_for(
        self, predicate: Callable[[list[ReceivedSpan]], bool], *, timeout: float
    ) -> list[ReceivedSpan]:
        """All spans so far, once ``predicate`` holds for them; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.spans):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    shown = "\n".join(
                        f"  {span.service} {span.name} trace={span.trace_id} error={span.is_error}"
                        for span in self.spans
                    )
                    raise AssertionError(f"spans never matched; received:\n{shown}")
                self._changed.wait(remaining)
            return list(self.spans)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
