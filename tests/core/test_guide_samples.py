"""The guide's Quick Start, Type Safety and Testing samples type-check and run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "guide_samples"
VENV_BIN = Path(sys.executable).parent


def test_samples_type_check_and_the_deliberate_error_is_caught() -> None:
    completed = subprocess.run(
        [str(VENV_BIN / "pyright"), "-p", str(SAMPLES / "pyrightconfig.json"), "--outputjson"],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    report = json.loads(completed.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    # Exactly one error: the guide's `print(result.invalid)  # ✗ Type checker error!`.
    assert len(errors) == 1, errors
    assert errors[0]["file"].endswith("type_safety.py")
    assert 'Cannot access attribute "invalid" for class "OrderOutput"' in errors[0]["message"]


def test_samples_run_against_a_real_dev_server() -> None:
    env = {**os.environ, "PYTHONPATH": str(SAMPLES.parent)}
    completed = subprocess.run(
        # Deprecation warnings as errors: pydantic must not go through its v1 API anywhere.
        [sys.executable, "-W", "error::DeprecationWarning", "-m", "guide_samples.run_samples"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["is_order_output"] is True
    assert outcome["testing_samples"] == "passed"
    assert outcome["result"] == {
        "order_id": "123",
        "status": "completed",
        "message": "Order processed successfully",
    }
