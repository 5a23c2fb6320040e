"""Write what each operation's bearer token must hold into the OpenAPI document.

FastAPI already lists an operation's scopes under ``security`` (OpenAPI 3.1 allows scopes for a
bearer scheme); this adds the 401 and 403 answers every secured operation can give, with their
``WWW-Authenticate`` header, and names the scope in the operation's description, where the
interactive docs show it next to the summary.
"""

from __future__ import annotations

from typing import Any

from api.problems import PROBLEM_MEDIA_TYPE

__all__ = ["state_security"]

_PROBLEM = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": "`Bearer` with RFC 6750's `error` (`invalid_token`, "
        "`insufficient_scope`) when a token was sent.",
        "schema": {"type": "string"},
    }
}
_ANSWERS: dict[str, dict[str, Any]] = {
    "401": {
        "description": "No bearer token, or one that is expired, badly signed, or for another "
        "issuer or audience (`not-authenticated`).",
        "headers": _CHALLENGE,
        "content": _PROBLEM,
    },
    "403": {
        "description": "The token lacks the scope this operation needs (`missing-scope`, with "
        "`required_scopes`).",
        "headers": _CHALLENGE,
        "content": _PROBLEM,
    },
}


def state_security(schema: dict[str, Any]) -> None:
    """Document 401/403 and the required scopes of every secured operation, in place."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            requirements: list[dict[str, list[str]]] = operation.get("security", [])
            if not requirements:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status, answer in _ANSWERS.items():
                responses.setdefault(status, answer)
            scopes = sorted(
                {scope for item in requirements for names in item.values() for scope in names}
            )
            if scopes:
                named = ", ".join(f"`{scope}`" for scope in scopes)
                needs = f"Requires a bearer token with the scope {named} (or `admin`)."
                described = operation.get("description", "")
                operation["description"] = f"{described}\n\n{needs}" if described else needs
