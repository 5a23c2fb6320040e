"""``token``: sign an access token for the local stack with its key file.

``uv run token --as alice`` prints a token of one of the stack's sample users
(:data:`~api.auth.dev_keys.DEV_CALLERS`); ``--subject``, ``--scope`` and ``--email`` make any
other caller. The key file is the one ``uv run dev`` gives the API (``API_AUTH_KEYS_FILE``,
default ``.data/auth-keys.json``), so the token is accepted by the running stack. A real
deployment never uses this: its identity provider signs the tokens.

``--dev-callers`` prints every sample user's token as JSON; ``uv run dev`` calls it (with
``--create-keys``) at start-up to make the key file once and show the tokens.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from api.auth.dev_keys import DEV_AUDIENCE, DEV_CALLERS, DEV_ISSUER, key_set_from_file, mint_token
from api.auth.scopes import ALL_SCOPES

__all__ = ["DEFAULT_KEYS_FILE", "main"]

USAGE_ERROR = 2
DEFAULT_KEYS_FILE = Path(".data/auth-keys.json")
"""Where ``uv run dev`` keeps the key set with its default data directory."""

cli = typer.Typer(
    add_completion=False,
    help="Sign an access token for the local stack (a real deployment's IdP signs its own).",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(USAGE_ERROR)


@cli.command()
def token(
    as_caller: Annotated[
        str | None,
        typer.Option("--as", help=f"A sample user of the local stack: {', '.join(DEV_CALLERS)}."),
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="The token's `sub`: an opaque id, never an e-mail.")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A scope to grant; repeat it, or give several separated by spaces."),
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="The `email` claim (what approvals name approvers by).")
    ] = None,
    ttl_minutes: Annotated[
        int, typer.Option(min=1, max=7 * 24 * 60, help="How long the token is valid.")
    ] = 12 * 60,
    keys_file: Annotated[
        Path,
        typer.Option(envvar="API_AUTH_KEYS_FILE", help="The JWK set the API verifies with."),
    ] = DEFAULT_KEYS_FILE,
    issuer: Annotated[str, typer.Option(envvar="API_AUTH_ISSUER")] = DEV_ISSUER,
    audience: Annotated[str, typer.Option(envvar="API_AUTH_AUDIENCE")] = DEV_AUDIENCE,
    create_keys: Annotated[
        bool, typer.Option(help="Write a new key set (mode 0600) if the file does not exist.")
    ] = False,
    dev_callers: Annotated[
        bool, typer.Option(help="Print every sample user's token as JSON (what `dev` shows).")
    ] = False,
) -> None:
    """Print a signed access token (a JWT) on stdout."""
    try:
        key_set = key_set_from_file(keys_file, create=create_keys)
    except FileNotFoundError:
        raise _fail(
            f"no key file at {keys_file}: start the stack (`uv run dev`) first, or pass "
            "--keys-file / set API_AUTH_KEYS_FILE to the file the API uses"
        ) from None
    except (OSError, ValueError) as error:
        raise _fail(f"--keys-file: {error}") from None
    ttl = ttl_minutes * 60
    if dev_callers:
        tokens = [
            {
                "name": caller.name,
                "email": caller.email,
                "scopes": sorted(caller.scopes),
                "role": caller.role,
                "token": mint_token(
                    key_set,
                    subject=caller.name,
                    scopes=caller.scopes,
                    email=caller.email,
                    issuer=issuer,
                    audience=audience,
                    ttl_seconds=ttl,
                ),
            }
            for caller in DEV_CALLERS.values()
        ]
        typer.echo(json.dumps(tokens, indent=2))
        return
    granted = {name for item in scope or [] for name in item.replace(",", " ").split()}
    if as_caller is not None:
        preset = DEV_CALLERS.get(as_caller)
        if preset is None:
            raise _fail(
                f"--as: no sample user {as_caller!r}; choose one of {', '.join(DEV_CALLERS)}"
            )
        subject = subject or preset.name
        email = email or preset.email
        granted |= preset.scopes
    if not subject or not subject.strip():
        raise _fail("--subject (or --as) is required: who the token is for")
    unknown = sorted(granted - ALL_SCOPES)
    if unknown:
        raise _fail(
            f"--scope: unknown scope(s) {', '.join(unknown)}; the API checks "
            f"{', '.join(sorted(ALL_SCOPES))}"
        )
    if not granted:
        raise _fail("--scope is required (or --as): a token without scopes can do nothing")
    if email is not None and "@" not in email:
        raise _fail(f"--email: {email!r} is not an e-mail address")
    typer.echo(
        mint_token(
            key_set,
            subject=subject,
            scopes=granted,
            email=email,
            issuer=issuer,
            audience=audience,
            ttl_seconds=ttl,
        )
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); exits like a CLI."""
    # Typer's own usage errors (a bad option) exit 2 too, like the errors found here.
    cli(args=list(argv) if argv is not None else None, prog_name="token")
