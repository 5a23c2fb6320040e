"""One way to run the schemathesis CLI (``st run``) against a served app, for both fuzz tests.

The API's quick check (tests/api/test_openapi.py) and the reliability fuzz
(tests/reliability/test_schema_fuzz.py) differ in checks, examples, hooks and reporting only; the
command's shape, the caller it fuzzes as and the subprocess handling are here.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.auth_tokens import token

ST = Path(sys.executable).parent / "st"


async def run_schemathesis(
    base_url: str,
    workdir: Path,
    *,
    checks: str,
    max_examples: int,
    timeout: float,
    config_file: Path | None = None,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """Run ``st run`` on ``base_url``'s OpenAPI document; its exit code and its output."""
    command = [str(ST)]
    if config_file is not None:
        command += ["--config-file", str(config_file)]
    command += [
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        checks,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(max_examples),
        # One worker: hypothesis' lambda introspection is not thread-safe on CPython 3.11.
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--seed",
        "1",
        # An ordinary caller's token, as a client of the API sends it; a caller of its own, so
        # workflows an earlier test left on the session's server (their workers gone) are not
        # this run's to act on.
        "--header",
        f"Authorization: Bearer {token(subject=f'fuzz-{uuid.uuid4().hex}')}",
        "--no-color",
        *extra_args,
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=workdir,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")
