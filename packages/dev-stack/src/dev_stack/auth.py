"""The local stack's API runs with authentication on: a key file, and tokens for its users.

The stack imports no service code, so it asks the API package's ``token`` command (beside
``serve`` in the same environment) to write the key set once under the data directory (mode
0600) and to sign a token for each sample user; it then gives the API that file through
``API_AUTH_KEYS_FILE`` and prints the tokens once everything is ready.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dev_stack.config import StackError

__all__ = [
    "KEY_SOURCES",
    "DevToken",
    "dev_tokens",
    "keys_file",
    "token_script",
    "uses_own_key_source",
]

KEY_SOURCES = ("API_AUTH_KEYS_FILE", "API_AUTH_KEYS", "API_AUTH_JWKS_URL")
"""The API's key settings; a user who sets one keeps it, and the stack makes no keys."""

_ENV_NAMES = {"alice": "TOKEN"}
"""The shell variable each sample user's token is shown as (the README uses ``$TOKEN``)."""


@dataclass(frozen=True)
class DevToken:
    """A sample user's token as the stack shows it."""

    name: str
    role: str
    token: str

    @property
    def variable(self) -> str:
        """The shell variable to keep it in: ``TOKEN`` for alice, ``LEAD_TOKEN`` for lead."""
        return _ENV_NAMES.get(self.name, f"{self.name.upper()}_TOKEN")


def keys_file(data_dir: Path) -> Path:
    """Where the stack keeps its JWK set: ``<data-dir>/auth-keys.json``."""
    return data_dir / "auth-keys.json"


def uses_own_key_source(env: Mapping[str, str]) -> bool:
    """Whether the user configured the API's keys themselves (then the stack leaves them)."""
    return any(env.get(name) for name in KEY_SOURCES)


def token_script() -> Path:
    """The API package's ``token`` command of this environment."""
    script = Path(sys.executable).parent / "token"
    if not script.is_file():
        raise StackError(
            f"the `token` command is not installed beside {sys.executable}: run `uv sync` at "
            "the repository root"
        )
    return script


async def dev_tokens(data_dir: Path) -> list[DevToken]:
    """Make the key file if missing and sign a token for every sample user with it."""
    process = await asyncio.create_subprocess_exec(
        str(token_script()),
        "--keys-file",
        str(keys_file(data_dir)),
        "--create-keys",
        "--dev-callers",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise StackError(f"cannot make the API's keys: {err.decode(errors='replace').strip()}")
    callers: list[dict[str, Any]] = json.loads(out)
    return [DevToken(str(c["name"]), str(c["role"]), str(c["token"])) for c in callers]
