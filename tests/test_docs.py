"""The README's promises that do not need a running stack: config table, layout, benchmark."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from api.settings import ENV_PREFIX, ApiSettings
from codec_server.settings import ENV_PREFIX as CODEC_SERVER_PREFIX
from codec_server.settings import CodecServerSettings
from pydantic_settings import BaseSettings
from temporal_core.client.codec_settings import CODEC_ENV_PREFIX, CodecSettings
from temporal_core.client.settings import RetrySettings, TemporalSettings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = set(re.findall(r"`(TEMPORAL_[A-Z0-9_*<>]+)`", README))
    missing: list[str] = []
    for name, field in TemporalSettings.model_fields.items():
        if name == "queues":
            expected = "TEMPORAL_QUEUES__<QUEUE>__<FIELD>"
        elif name == "grpc_meta":
            expected = "TEMPORAL_GRPC_META_<HEADER>"  # one variable per header
        elif field.annotation is not None and "RetrySettings" in str(field.annotation):
            # Retry policies are documented field by field for activities, as a group for workflows.
            if name == "workflow_retry":
                expected = "TEMPORAL_WORKFLOW_RETRY__*"
            else:
                for retry_field in RetrySettings.model_fields:
                    variable = f"TEMPORAL_{name.upper()}__{retry_field.upper()}"
                    if variable not in documented:
                        missing.append(variable)
                continue
        else:
            expected = f"TEMPORAL_{name.upper()}"
        if expected not in documented:
            missing.append(expected)
    assert not missing, f"README configuration table lacks {missing}"


def test_every_api_setting_is_in_the_readme_and_the_api_guide() -> None:
    api_guide = (ROOT / "docs" / "api.md").read_text()
    configuration = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in ApiSettings.model_fields:
        variable = f"`{ENV_PREFIX}{name.upper()}`"
        # A table row: the variable first, then its default and meaning.
        row = re.compile(rf"^\| {re.escape(variable)}[^|]*\| `[^`]+`", re.MULTILINE)
        assert row.search(configuration), f"README's configuration table lacks {variable}"
        assert row.search(api_guide), f"docs/api.md's settings table lacks {variable}"


@pytest.mark.parametrize(
    ("settings", "prefix"),
    [(CodecSettings, CODEC_ENV_PREFIX), (CodecServerSettings, CODEC_SERVER_PREFIX)],
)
def test_every_codec_setting_is_a_row_of_the_configuration_table(
    settings: type[BaseSettings], prefix: str
) -> None:
    configuration = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in settings.model_fields:
        variable = f"`{prefix}{name.upper()}`"
        row = re.compile(rf"^\| {re.escape(variable)} \| [^|]+ \| \w", re.MULTILINE)
        assert row.search(configuration), f"README's configuration table lacks {variable}"


def test_documented_api_defaults_are_the_real_ones() -> None:
    defaults = ApiSettings.model_construct()
    for name, field in ApiSettings.model_fields.items():
        value = getattr(defaults, name, field.default)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        variable = re.escape(f"`{ENV_PREFIX}{name.upper()}`")
        row = re.search(rf"^\| {variable}[^|]*\| `([^`]+)`", README, flags=re.MULTILINE)
        assert row is not None, name
        assert row.group(1) == shown, f"README says {name} defaults to {row.group(1)}, not {shown}"


def test_the_layout_section_names_real_folders() -> None:
    section = README.split("## What is where", 1)[1].split("\n## ", 1)[0]
    tree = section.split("```")[1]
    # Indentation is nesting: `authoring/` under `temporal-core/` is that package's subpackage.
    parents: list[tuple[int, Path]] = []
    named = 0
    for line in tree.splitlines():
        match = re.match(r"^(\s*)([a-z][a-z0-9_-]*(?:/[a-z0-9_-]+)*)/(\s|$)", line)
        if match is None:
            continue
        indent, name = len(match.group(1)), match.group(2)
        while parents and parents[-1][0] >= indent:
            parents.pop()
        base = parents[-1][1] if parents else ROOT
        found = [path for path in (base / name, *base.glob(f"src/*/{name}")) if path.is_dir()]
        assert found, f"{name}/ (under {base.relative_to(ROOT) if base != ROOT else '.'})"
        parents.append((indent, found[0]))
        named += 1
    assert named >= 15


@pytest.mark.e2e
def test_the_documented_benchmark_command_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--rounds", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    for scenario in ("start_workflow", "execute_workflow", "health_check"):
        assert scenario in completed.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--rounds", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "--rounds must be at least 10" in bad.stderr
