"""``CODEC_SERVER_*`` settings: where the codec server listens and who may use it.

The keys themselves are the ``CODEC_*`` settings every service shares
(:class:`temporal_core.client.codec_settings.CodecSettings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, ValidationError
from pydantic.functional_validators import BeforeValidator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from temporal_core.client.settings import SettingsError

__all__ = ["DEFAULT_PORT", "ENV_PREFIX", "CodecServerSettings"]

ENV_PREFIX = "CODEC_SERVER_"
DEFAULT_PORT = 8089
MIN_TOKEN_LENGTH = 16


def _comma_separated(value: Any) -> Any:
    # A list in an environment variable reads best as "a,b"; pydantic alone wants JSON.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]


class CodecServerSettings(BaseSettings):
    """Read from ``CODEC_SERVER_*`` variables; :meth:`load` reports errors by variable."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    token: SecretStr | None = None
    """The shared bearer token every request must carry."""
    token_file: Path | None = None
    """A file holding the token (a mounted secret); used when ``token`` is unset."""
    cors_origins: CommaList = Field(
        default_factory=lambda: ["http://127.0.0.1:8233", "http://localhost:8233"]
    )
    """Browser origins allowed to call the server: the Temporal Web UI's address."""
    namespaces: CommaList = Field(default_factory=list[str])
    """Namespaces whose payloads may be decoded (``X-Namespace``); empty allows any."""

    @classmethod
    def load(cls, **values: Any) -> Self:
        """Read the environment (plus ``values``); :class:`SettingsError` names the variable."""
        try:
            settings = cls(**values)
        except ValidationError as error:
            problems = [
                f"  {ENV_PREFIX}{'_'.join(str(p) for p in item['loc']).upper()}: {item['msg']}"
                for item in error.errors(include_url=False)
            ]
            raise SettingsError("\n".join(["invalid codec server settings:", *problems])) from None
        settings.bearer_token()  # a missing or short token is a start-up error, not a 401 later
        return settings

    def bearer_token(self) -> str:
        """The token requests must present; :class:`SettingsError` when none is usable."""
        if self.token is not None:
            token, source = self.token.get_secret_value().strip(), f"{ENV_PREFIX}TOKEN"
        elif self.token_file is not None:
            source = f"{ENV_PREFIX}TOKEN_FILE"
            try:
                token = self.token_file.read_text().strip()
            except OSError as error:
                raise SettingsError(
                    f"{source}: cannot read {self.token_file}: {error.strerror}"
                ) from None
        else:
            raise SettingsError(
                f"{ENV_PREFIX}TOKEN or {ENV_PREFIX}TOKEN_FILE is required: the codec server "
                "decrypts every payload for whoever asks, so it only answers callers holding "
                "this token (make one with `uv run --package codec-server codec-server "
                "new-token`)"
            )
        if len(token) < MIN_TOKEN_LENGTH or "/" in token:
            raise SettingsError(
                f"{source}: the token must be at least {MIN_TOKEN_LENGTH} characters without '/'"
            )
        return token
