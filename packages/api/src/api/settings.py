"""``ApiSettings``: the API's own limits and wiring, read once from ``API_*`` variables.

Temporal connection settings stay in ``temporal_core.TemporalSettings`` (``TEMPORAL_*``); this
class only holds what the HTTP layer decides: how long a request may wait, how big a request
may be, and where the report files are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporal_core.client.settings import SettingsError

from api.auth.dev_keys import DEV_AUDIENCE, DEV_ISSUER
from api.auth.verifier import TokenVerifier

__all__ = ["DEV_CUSTOMER_ID_KEY", "ApiSettings"]

ENV_PREFIX = "API_"

DEV_CUSTOMER_ID_KEY = "local-development-only-customer-id-key"
"""The key used while ``API_CUSTOMER_ID_KEY`` is unset: public, so its hashes only hide e-mails
on a laptop."""


class ApiSettings(BaseSettings):
    """Limits of the HTTP layer; every field is one ``API_*`` variable."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
        # Fields with an alias (reports_dir) can still be passed by name in code and tests.
        validate_by_name=True,
        validate_by_alias=True,
    )

    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 above it)."
    )
    max_batch_size: int = Field(
        default=100, ge=1, le=1000, description="Most orders one POST /orders/batch may start."
    )
    batch_concurrency: int = Field(
        default=20, ge=1, le=200, description="Starts a batch sends to Temporal at once."
    )
    max_start_delay_seconds: int = Field(
        default=30 * 24 * 3600, ge=1, description="Longest delay POST /orders/scheduled accepts."
    )
    default_wait_seconds: float = Field(
        default=10.0, ge=0, description="How long result endpoints wait when ?wait is not given."
    )
    max_wait_seconds: float = Field(
        default=30.0, ge=0, le=300, description="Upper bound of ?wait on result endpoints."
    )
    temporal_call_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="Deadline of each call to Temporal (start, describe, query, signal, update); "
        "a slow, down or frozen server answers 503 after it. `?wait` long polls wait longer.",
    )
    retry_after_seconds: int = Field(
        default=5, ge=1, le=3600, description="Retry-After sent with 503 answers."
    )
    reports_dir: Path = Field(
        default=Path(".data/reports"),
        # The report worker writes to REPORTS_DIR; reading the same variable keeps them in step.
        validation_alias=AliasChoices("API_REPORTS_DIR", "REPORTS_DIR"),
        description="Directory the report worker writes finished files to.",
    )

    customer_id_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Key of the HMAC-SHA256 that turns a customer's e-mail into the `CustomerId` "
        "search attribute. Set a random secret of 32+ bytes in every real deployment; unset, a "
        "public development key is used (logged as a warning). Changing it changes every new "
        "CustomerId.",
    )
    start_rate_per_minute: int = Field(
        default=3000,
        ge=0,
        description="Workflow starts one caller may make per minute, per API process (token "
        "bucket; `0` turns the limit off). Over it: 429 with `Retry-After`.",
    )
    start_burst: int = Field(
        default=1000,
        ge=1,
        description="Starts one caller may make at once before the per-minute rate applies.",
    )
    max_running_reports_per_caller: int = Field(
        default=20,
        ge=0,
        description="Reports one caller may have generating at once (`0`: no cap); 429 above.",
    )

    auth_enabled: bool = Field(
        default=True,
        description="Require a bearer token on every route but health, metrics and the docs. "
        "`false` lets anyone act as an admin (logged as a warning at start-up).",
    )
    auth_issuer: str = Field(
        default=DEV_ISSUER, min_length=1, description="The `iss` every token must name."
    )
    auth_audience: str = Field(
        default=DEV_AUDIENCE, min_length=1, description="The `aud` every token must name."
    )
    auth_jwks_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="The identity provider's JWKS URL (keys fetched and cached).",
    )
    auth_keys: SecretStr | None = Field(
        default=None,
        description='A static JWK set as JSON (`{"keys": [...]}`), instead of a JWKS URL.',
    )
    auth_keys_file: Path | None = Field(
        default=None,
        description="A file holding that JWK set (a mounted secret); what `uv run dev` uses.",
    )

    @model_validator(mode="after")
    def _one_key_source(self) -> Self:
        sources = [self.auth_jwks_url, self.auth_keys, self.auth_keys_file]
        given = sum(source is not None for source in sources)
        if self.auth_enabled and given != 1:
            raise ValueError(
                "with auth enabled, set exactly one of API_AUTH_JWKS_URL, API_AUTH_KEYS and "
                f"API_AUTH_KEYS_FILE ({given} set); or API_AUTH_ENABLED=false to turn auth off"
            )
        return self

    @property
    def customer_id_secret(self) -> str:
        """The key ``CustomerId`` hashes are made with (the public dev key when unset)."""
        if self.customer_id_key is None:
            return DEV_CUSTOMER_ID_KEY
        return self.customer_id_key.get_secret_value()

    def token_verifier(self) -> TokenVerifier | None:
        """The verifier for these settings, or ``None`` when auth is turned off."""
        if not self.auth_enabled:
            return None
        issuer, audience = self.auth_issuer, self.auth_audience
        if self.auth_jwks_url is not None:
            return TokenVerifier(issuer=issuer, audience=audience, jwks_url=self.auth_jwks_url)
        if self.auth_keys is not None:
            variable, text = "API_AUTH_KEYS", self.auth_keys.get_secret_value()
        else:
            assert self.auth_keys_file is not None
            variable = "API_AUTH_KEYS_FILE"
            try:
                text = self.auth_keys_file.read_text()
            except OSError as error:
                raise SettingsError(f"{variable}: cannot be read ({error.strerror})") from None
        try:
            return TokenVerifier.from_key_set_json(text, issuer=issuer, audience=audience)
        except ValueError as error:
            raise SettingsError(f"{variable}: {error}") from None

    @classmethod
    def load(cls, **values: Any) -> Self:
        """Read the environment, raising ``SettingsError`` that names the bad variable."""
        try:
            return cls(**values)
        except ValidationError as error:
            lines = ["invalid API settings:"]
            for item in error.errors(include_url=False):
                parts = [str(part) for part in item["loc"] if not isinstance(part, int)]
                name = ENV_PREFIX + "__".join(parts).upper() if parts else ENV_PREFIX + "*"
                lines.append(f"  {name}: {item['msg']} (got {item.get('input')!r})")
            raise SettingsError("\n".join(lines)) from None
