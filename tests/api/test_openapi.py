"""The OpenAPI document: valid, documented, and free of 5xx answers under property-based input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from temporalio.testing import WorkflowEnvironment

from tests.api.support import ApiStack, api_stack
from tests.schemathesis_run import run_schemathesis


async def test_openapi_document_is_valid_and_documents_errors(stack: ApiStack) -> None:
    response = await stack.http.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    validate(spec)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            for code, answer in responses.items():
                if code.startswith(("4", "5")) and path != "/health":
                    assert list(answer["content"]) == ["application/problem+json"], (path, code)
            if path.startswith(("/orders", "/approvals", "/reports")):
                assert "503" in responses, (method, path)
                assert "Retry-After" in responses["503"]["headers"]
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), (method, path)

    # Result routes answer 202 with where to poll while the workflow runs, and document it.
    for path, method in (
        ("/orders/sync", "post"),
        ("/orders/{workflow_id}/result", "get"),
        ("/approvals/{workflow_id}/result", "get"),
    ):
        running = spec["paths"][path][method]["responses"]["202"]
        assert running["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/WorkflowRunning"
        }, path
    assert "/approvals/{workflow_id}/cancel" in spec["paths"]

    schemas = spec["components"]["schemas"]
    for name in ("OrderRequest", "ApprovalRequest", "DecisionBody", "ReportRequest"):
        assert schemas[name]["examples"], name
    assert set(schemas["Problem"]["required"]) >= {"type", "title", "status", "detail"}


async def test_interactive_docs_are_served(http: httpx.AsyncClient) -> None:
    docs = await http.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text.lower()


@pytest.mark.e2e
async def test_schemathesis_finds_no_server_error(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # No report worker: generated reports stay queued instead of writing files for minutes.
    # Short waits keep every generated request quick.
    async with api_stack(
        temporal_env.client,
        tmp_path,
        queues=("orders", "approvals"),
        default_wait_seconds=0.5,
        max_wait_seconds=2,
    ) as stack:
        returncode, report = await run_schemathesis(
            stack.base_url,
            tmp_path,
            checks="not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            # Bounded: the deterministic coverage phase walks every schema edge once, and a few
            # random examples per operation keep the whole run under a minute on 2 cores.
            max_examples=3,
            timeout=150,
            env={"SCHEMATHESIS_HOOKS": ""},
        )
        (tmp_path / "schemathesis.txt").write_text(report)
        assert returncode == 0, report[-8000:]
