"""``uv run token``: tokens the local stack's API accepts, and clear refusals of bad input.

The command runs as the installed console script, as a developer runs it; the tokens it prints
are checked by the real app over real HTTP, configured with the same key file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
from api.main import create_app
from api.settings import ApiSettings
from temporal_core import TemporalSettings

from tests.api.support import order, serve
from tests.api.test_orders import assert_problem

TOKEN = Path(sys.executable).parent / "token"
PACKAGES = Path(__file__).resolve().parents[2] / "packages"


def run_token(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOKEN), *arguments], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


async def test_a_token_it_signs_is_accepted_with_exactly_its_scopes(tmp_path: Path) -> None:
    keys = tmp_path / "keys" / "auth-keys.json"
    made = run_token(
        "--keys-file",
        str(keys),
        "--create-keys",
        "--subject",
        "bob",
        "--scope",
        "orders:read",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert keys.stat().st_mode & 0o777 == 0o600
    before = keys.read_text()
    again = run_token("--keys-file", str(keys), "--create-keys", "--as", "alice", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert keys.read_text() == before  # made once, never replaced

    app = create_app(
        ApiSettings(auth_keys_file=keys), temporal_settings=TemporalSettings(enabled=False)
    )
    headers = {"Authorization": f"Bearer {made.stdout.strip()}"}
    async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        # Authenticated (Temporal is off here, so the route itself answers 503)...
        assert_problem(await http.get("/orders/order-x/status"), 503, "temporal-disabled")
        # ...with orders:read only.
        refused = assert_problem(await http.post("/orders", json=order()), 403, "missing-scope")
        assert refused["required_scopes"] == ["orders:write"]


def test_the_stack_s_sample_users_come_as_json(tmp_path: Path) -> None:
    keys = tmp_path / "auth-keys.json"
    listed = run_token("--keys-file", str(keys), "--create-keys", "--dev-callers", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    callers = {caller["name"]: caller for caller in json.loads(listed.stdout)}
    assert set(callers) == {"alice", "lead", "admin"}
    assert callers["lead"]["email"] == "lead@example.com"
    assert "approvals:decide" in callers["lead"]["scopes"]
    assert "admin" not in callers["alice"]["scopes"]
    assert callers["admin"]["scopes"] == ["admin"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--as", "alice"], "no key file at"),
        (["--create-keys", "--as", "mallory"], "--as: no sample user 'mallory'"),
        (["--create-keys", "--scope", "orders:read"], "--subject (or --as) is required"),
        (["--create-keys", "--subject", "x"], "--scope is required"),
        (
            ["--create-keys", "--subject", "x", "--scope", "orders:all"],
            "unknown scope(s) orders:all",
        ),
        (["--create-keys", "--as", "alice", "--email", "alice"], "is not an e-mail address"),
        (["--create-keys", "--as", "alice", "--ttl-minutes", "0"], "--ttl-minutes"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    done = run_token(*arguments, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


def test_a_key_file_that_is_not_a_jwk_set_exits_2(tmp_path: Path) -> None:
    keys = tmp_path / "auth-keys.json"
    keys.write_text('{"not": "keys"}')
    done = run_token("--keys-file", str(keys), "--as", "alice", cwd=tmp_path)
    assert done.returncode == 2
    assert "--keys-file" in done.stderr
    assert "not a JWK set" in done.stderr


def test_no_other_member_installs_a_token_script() -> None:
    # Members' same-named console scripts overwrite each other in the shared venv (uv #12891).
    owners = [
        pyproject.parent.name
        for pyproject in sorted(PACKAGES.glob("*/pyproject.toml"))
        if "token" in tomllib.loads(pyproject.read_text()).get("project", {}).get("scripts", {})
    ]
    assert owners == ["api"]
