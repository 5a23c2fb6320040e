"""Static checks of the deployables: hadolint on every Dockerfile, the Compose specification schema
on docker-compose.yml, and the .env.example contract (every required variable documented, no
secret written into the compose file).

The schema is the copy of the Compose specification's JSON schema that the ``check-jsonschema``
package ships (with its license) in ``check_jsonschema/builtin_schemas/vendor``; it is installed
with the dev dependencies, so nothing is downloaded when the tests run.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.deploy import compose
from tests.deploy.dockerfile import REPO, SERVICE_DOCKERFILES, Dockerfile, DockerIgnore

HADOLINT = Path(sys.executable).with_name("hadolint")


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO)) for path in paths]


def test_every_service_package_has_a_dockerfile() -> None:
    names = {path.parent.name for path in SERVICE_DOCKERFILES}
    assert {"api", "worker-orders", "worker-approvals", "worker-reports"} <= names


@pytest.mark.parametrize("dockerfile", SERVICE_DOCKERFILES, ids=_ids(SERVICE_DOCKERFILES))
def test_hadolint_reports_nothing_at_warning_or_above(dockerfile: Path) -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Style and info findings are not failures, but they should stay visible in the log.
    print(result.stdout or f"{dockerfile.relative_to(REPO)}: hadolint found nothing")


def _compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendored.joinpath("compose-spec.json").read_text())
    assert "services" in schema["properties"], "not the Compose specification schema"
    return schema


def _schema_errors(document: dict[str, Any]) -> list[str]:
    schema = _compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_compose_file_validates_against_the_compose_specification() -> None:
    assert _schema_errors(compose.load()) == []


def test_compose_file_validates_after_substituting_env_example() -> None:
    # What `cp .env.example .env`, filling in the secrets and `docker compose up` hand the engine.
    substituted = compose.interpolate(compose.load(), compose.filled_in_env_file())
    assert _schema_errors(substituted) == []


def test_schema_check_catches_a_broken_compose_file() -> None:
    """Guards the check itself: a misspelt key or a bad condition must not pass silently."""
    broken = copy.deepcopy(compose.load())
    broken["services"]["api"]["helthcheck"] = broken["services"]["api"].pop("healthcheck")
    broken["services"]["worker-orders"]["depends_on"]["temporal-setup"]["condition"] = "done"
    errors = _schema_errors(broken)
    assert any("helthcheck" in error for error in errors), errors
    assert any("done" in error for error in errors), errors


def test_env_example_defines_every_variable_compose_requires() -> None:
    documented = compose.read_env_file()
    needed = {ref.name for ref in compose.references() if ref.required or not ref.has_default}
    assert needed <= documented.keys(), f"missing from .env.example: {needed - documented.keys()}"
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        compose.interpolate(compose.load(), {})


def test_env_example_alone_does_not_satisfy_the_required_secrets() -> None:
    # A copied .env.example must not start a stack with a password everybody knows.
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        compose.interpolate(compose.load(), compose.read_env_file())
    required = {ref.name for ref in compose.references() if ref.required}
    shipped = {key for key, value in compose.read_env_file().items() if key in required and value}
    assert not shipped, f".env.example ships values for required secrets: {shipped}"


def test_env_example_documents_only_variables_compose_uses() -> None:
    used = {ref.name for ref in compose.references()}
    unused = compose.read_env_file().keys() - used
    assert not unused, f".env.example documents variables the compose file never reads: {unused}"


_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY", re.IGNORECASE)
_PURE_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$")


def test_compose_file_holds_no_secret_values() -> None:
    for name, service in compose.load()["services"].items():
        for key, value in compose.environment(service).items():
            if _SECRET_NAME.search(key):
                # Only a required reference: no literal value and no default to fall back on.
                assert _PURE_REFERENCE.match(value), f"{name}: {key} must come from .env"


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignore = DockerIgnore()
    for path in (
        ".venv/bin/python",
        "packages/api/.venv/pyvenv.cfg",
        "packages/temporal-core/src/temporal_core/__pycache__/settings.cpython-311.pyc",
        ".pytest_cache/README.md",
        ".ruff_cache/CACHEDIR.TAG",
        ".data/side_effects.sqlite3",
        "packages/worker-orders/.data/reports/r.csv",
        "tests/deploy/test_lint.py",
        "packages/worker-orders/tests/test_x.py",
        ".env",
        "secrets/api-auth-keys.json",
        "secrets/codec-keys",
        ".git/HEAD",
    ):
        assert ignore.excludes(path), f"{path} would be sent to the Docker daemon"


def test_dockerignore_lets_in_everything_the_dockerfiles_use() -> None:
    ignore = DockerIgnore()
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "packages"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    sources = [p for p in tracked if "/src/" in p or p.endswith(("pyproject.toml", "README.md"))]
    assert sources
    assert [p for p in sources if ignore.excludes(p)] == []
    for path in SERVICE_DOCKERFILES:
        for stage in Dockerfile.parse(path).stages:
            for instruction in stage.instructions:
                used = [
                    m["source"]
                    for m in instruction.mounts()
                    if m.get("type") == "bind" and "from" not in m
                ]
                if instruction.keyword == "COPY" and instruction.flag("from") is None:
                    used.append(instruction.words()[0])
                for source in used:
                    assert not ignore.excludes(source), f"{path.name}: {source} is ignored"
                    assert (REPO / source).exists(), f"{path}: {source} does not exist"


def test_our_services_run_hardened() -> None:
    # docs/security.md: nothing in our images can be changed at run time, no capability is kept
    # and no process can gain privileges; writes go to named volumes and an in-memory /tmp.
    services = compose.load()["services"]
    for name in compose.our_services(compose.load()):
        service = services[name]
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert "/tmp" in service.get("tmpfs", []), name


def test_keys_reach_our_services_as_compose_secrets() -> None:
    data = compose.load()
    services = data["services"]
    assert {"codec_keys"} <= set(data["secrets"]), data["secrets"]
    for name in compose.our_services(data):
        assert "codec_keys" in services[name].get("secrets", []), name
