"""Settings for clients and workers, read once from ``TEMPORAL_*`` environment variables.

Every field maps to one variable: ``url`` is ``TEMPORAL_URL``; a per-queue override such as
``queues["orders"].max_concurrent_activities`` is
``TEMPORAL_QUEUES__ORDERS__MAX_CONCURRENT_ACTIVITIES``.
Durations accept seconds (``30``, ``2.5``), a unit suffix (``500ms``, ``30s``, ``5m``, ``2h``,
``1d``) or ISO 8601 (``PT30S``). ``TemporalSettings.load()``
turns a bad value into a :class:`SettingsError` that names the variable and what is allowed.

Temporal's standard names (``TEMPORAL_ADDRESS``, ``TEMPORAL_TLS``, ``TEMPORAL_PROFILE`` ...) and
its TOML profiles are read too (:mod:`temporal_core.client.standard_variables`), and a
``TEMPORAL_*`` variable that nothing reads is reported: a warning, or an error with
``TEMPORAL_REJECT_UNKNOWN_VARIABLES=true``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from temporalio.common import RetryPolicy

from temporal_core.client.settings_error import SettingsError
from temporal_core.client.standard_variables import (
    STANDARD_ALIASES,
    StandardVariablesSource,
    unknown_variables,
)

__all__ = [
    "ENV_PREFIX",
    "QueueOverrides",
    "RetrySettings",
    "SettingsError",
    "TemporalSettings",
]

logger = logging.getLogger(__name__)

ENV_PREFIX = "TEMPORAL_"
_NESTED = "__"
_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def _parse_duration(value: Any) -> Any:
    # Environment values arrive as strings; pydantic alone reads "30" as neither seconds nor ISO.
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]
"""A ``timedelta`` that also reads ``30``, ``2.5``, ``500ms``, ``30s``, ``5m``, ``2h``, ``1d``."""


class RetrySettings(BaseModel):
    """A retry policy in settings form (``TEMPORAL_<SCOPE>_RETRY__<FIELD>``)."""

    model_config = ConfigDict(extra="forbid")

    initial_interval: Duration = Field(default=timedelta(seconds=1), gt=timedelta(0))
    backoff_coefficient: float = Field(default=2.0, ge=1.0)
    maximum_interval: Duration | None = Field(default=timedelta(seconds=60), gt=timedelta(0))
    maximum_attempts: int = Field(default=0, ge=0, description="0 means unlimited")
    non_retryable_error_types: list[str] = Field(default_factory=list[str])

    def to_policy(self) -> RetryPolicy:
        """Return the SDK's ``RetryPolicy`` for these values."""
        return RetryPolicy(
            initial_interval=self.initial_interval,
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=self.maximum_interval,
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=self.non_retryable_error_types or None,
        )


class QueueOverrides(BaseModel):
    """Per-queue values that replace the global ones when set (``TEMPORAL_QUEUES__<QUEUE>__*``)."""

    model_config = ConfigDict(extra="forbid")

    activity_start_to_close_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    activity_schedule_to_close_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    activity_heartbeat_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    activity_retry: RetrySettings | None = None
    max_concurrent_activities: int | None = Field(default=None, ge=1)
    max_concurrent_workflow_tasks: int | None = Field(default=None, ge=2)
    max_cached_workflows: int | None = Field(default=None, ge=0)
    workflow_task_pollers: int | None = Field(default=None, ge=2)
    activity_task_pollers: int | None = Field(default=None, ge=1)
    drain_timeout: Duration | None = Field(default=None, ge=timedelta(0))


class TemporalSettings(BaseSettings):
    """Connection, workflow/activity defaults and worker tuning for every service.

    Construct with ``TemporalSettings.load()`` in services so that a bad environment value fails at
    start-up with a readable message; plain ``TemporalSettings(**values)`` is handy in tests.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=_NESTED,
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )

    # Connection
    enabled: bool = Field(default=True, description="Set false to run the API without Temporal.")
    url: str = Field(
        default="localhost:7233",
        description="Frontend gRPC address, host:port (also read as TEMPORAL_ADDRESS).",
    )
    namespace: str = Field(default="default", min_length=1, max_length=255)
    tls_enabled: bool | None = Field(
        default=None,
        description="Use TLS (also read as TEMPORAL_TLS). None: only when an API key or a "
        "certificate implies it; false: never, even then.",
    )
    tls_ca_cert_path: Path | None = Field(
        default=None, description="PEM CA bundle to trust (also TEMPORAL_TLS_SERVER_CA_CERT_PATH)."
    )
    tls_server_ca_cert_data: str | None = Field(
        default=None, description="PEM CA bundle to trust, inline.", repr=False
    )
    tls_client_cert_path: Path | None = Field(default=None, description="PEM client cert (mTLS).")
    tls_client_cert_data: str | None = Field(
        default=None, description="PEM client cert (mTLS), inline.", repr=False
    )
    tls_client_key_path: Path | None = Field(default=None, description="PEM client key (mTLS).")
    tls_client_key_data: SecretStr | None = Field(
        default=None, description="PEM client key (mTLS), inline."
    )
    tls_server_name: str | None = Field(
        default=None, description="Name the server certificate must carry; also sent as SNI."
    )
    tls_disable_host_verification: bool = Field(
        default=False,
        description="Temporal's standard switch; refused, the Python SDK cannot skip it.",
    )
    api_key: SecretStr | None = Field(default=None, description="API key, e.g. Temporal Cloud.")
    grpc_meta: dict[str, str] = Field(
        default_factory=dict[str, str],
        description="gRPC headers sent with every call (TEMPORAL_GRPC_META_<HEADER>).",
        repr=False,
    )
    profile: str | None = Field(
        default=None, description="TOML profile to read (Temporal's TEMPORAL_PROFILE)."
    )
    config_file: Path | None = Field(
        default=None, description="TOML file of profiles (Temporal's TEMPORAL_CONFIG_FILE)."
    )
    reject_unknown_variables: bool = Field(
        default=False,
        description="Refuse to start when a TEMPORAL_* variable is read by nothing (default: "
        "a warning).",
    )
    connect_timeout: Duration = Field(default=timedelta(seconds=5), gt=timedelta(0))
    identity: str | None = Field(default=None, description="Client/worker identity shown in UI.")

    # Workflow defaults (applied by BaseWorkflow start helpers unless a call overrides them)
    workflow_execution_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    workflow_run_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    workflow_task_timeout: Duration = Field(default=timedelta(seconds=10), gt=timedelta(0))
    workflow_retry: RetrySettings | None = Field(
        default=None, description="None: a failed workflow is not retried (Temporal's default)."
    )

    # Activity defaults (applied by BaseWorkflow.execute_activity)
    activity_start_to_close_timeout: Duration = Field(default=timedelta(minutes=5), gt=timedelta(0))
    activity_schedule_to_close_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    activity_heartbeat_timeout: Duration | None = Field(default=None, gt=timedelta(0))
    activity_retry: RetrySettings = Field(default_factory=lambda: RetrySettings(maximum_attempts=5))

    # Worker tuning
    max_concurrent_activities: int = Field(default=100, ge=1)
    max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    max_cached_workflows: int = Field(default=1000, ge=0)
    workflow_task_pollers: int = Field(default=5, ge=2)
    activity_task_pollers: int = Field(default=5, ge=1)
    drain_timeout: Duration = Field(default=timedelta(seconds=30), ge=timedelta(0))

    # Worker versioning: off while no build id is set, so a developer's worker is unversioned
    worker_build_id: str | None = Field(
        default=None,
        max_length=255,
        description="Build id of this worker's code; setting it registers the worker with a "
        "Temporal Worker Deployment (docs/deploying.md).",
    )
    worker_deployment_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Worker Deployment to register with; default: the worker package's name.",
    )
    worker_default_versioning_behavior: Literal["pinned", "auto_upgrade"] | None = Field(
        default=None,
        description="For workflows that declare no versioning_behavior; None: every workflow "
        "must declare one (the worker refuses to start otherwise).",
    )

    queues: dict[str, QueueOverrides] = Field(default_factory=dict[str, QueueOverrides])

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read Temporal's standard names and TOML profile below our own variable names."""
        return (
            init_settings,
            env_settings,
            StandardVariablesSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("url")
    @classmethod
    def _url_is_host_port(cls, value: str) -> str:
        match = _HOST_PORT.match(value)
        if not match or not 0 < int(match.group(2)) < 65536:
            raise ValueError("must be host:port with a port from 1 to 65535, e.g. localhost:7233")
        return value

    @field_validator("worker_build_id", "worker_deployment_name", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # An image built without a build id still sets the variable, to an empty string
        # (`ENV TEMPORAL_WORKER_BUILD_ID=${BUILD_ID}`): that means "unversioned", not an error.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("worker_build_id", "worker_deployment_name")
    @classmethod
    def _no_surrounding_space(cls, value: str | None) -> str | None:
        if value is not None and value != value.strip():
            raise ValueError("must not start or end with whitespace")
        return value

    @field_validator("worker_deployment_name")
    @classmethod
    def _deployment_name_has_no_dot(cls, value: str | None) -> str | None:
        # Temporal writes a version as "<deployment>.<build id>" and splits it at the first dot.
        if value is not None and "." in value:
            raise ValueError("must not contain '.': a version is named <deployment>.<build id>")
        return value

    @field_validator("tls_ca_cert_path", "tls_client_cert_path", "tls_client_key_path")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"must be the path of a readable PEM file; {value} does not exist")
        return value

    @field_validator("tls_disable_host_verification")
    @classmethod
    def _host_verification_stays_on(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "the Python SDK cannot turn off server certificate verification; trust the "
                "server's CA with TEMPORAL_TLS_SERVER_CA_CERT_PATH and set "
                "TEMPORAL_TLS_SERVER_NAME to a name its certificate carries"
            )
        return value

    @field_validator("queues")
    @classmethod
    def _queue_names_lower(cls, value: dict[str, QueueOverrides]) -> dict[str, QueueOverrides]:
        # Environment keys arrive lower-cased; normalise dict/JSON input the same way so that
        # TEMPORAL_QUEUES__ORDERS__... and queues={"orders": ...} mean the same queue.
        return {name.lower(): overrides for name, overrides in value.items()}

    @model_validator(mode="after")
    def _one_source_per_pem(self) -> Self:
        # Temporal's loader refuses both too: which one would be meant is a guess.
        for what, path, data in (
            ("TLS_SERVER_CA_CERT", self.tls_ca_cert_path, self.tls_server_ca_cert_data),
            ("TLS_CLIENT_CERT", self.tls_client_cert_path, self.tls_client_cert_data),
            ("TLS_CLIENT_KEY", self.tls_client_key_path, self.tls_client_key_data),
        ):
            if path is not None and data is not None:
                raise ValueError(
                    f"TEMPORAL_{what}_PATH and TEMPORAL_{what}_DATA are both set; set one"
                )
        return self

    @model_validator(mode="after")
    def _client_cert_and_key_together(self) -> Self:
        has_cert = self.tls_client_cert_path is not None or self.tls_client_cert_data is not None
        has_key = self.tls_client_key_path is not None or self.tls_client_key_data is not None
        if has_cert != has_key:
            raise ValueError(
                "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA "
                "forms) must be set together for mTLS"
            )
        return self

    @property
    def uses_tls(self) -> bool:
        """Whether connections use TLS: asked for, or implied by certificates or an API key.

        ``TEMPORAL_TLS=false`` turns it off even then (Temporal's meaning), e.g. for an API key
        sent to a plaintext proxy on the same host.
        """
        if self.tls_enabled is not None:
            return self.tls_enabled
        return self.api_key is not None or self.has_tls_material

    @property
    def has_tls_material(self) -> bool:
        """Whether a CA, a client certificate or a server name is configured."""
        return any(
            value is not None
            for value in (
                self.tls_ca_cert_path,
                self.tls_server_ca_cert_data,
                self.tls_client_cert_path,
                self.tls_client_cert_data,
                self.tls_server_name,
            )
        )

    def for_queue(self, queue: str) -> QueueOverrides:
        """Return the overrides for ``queue`` (empty when none are configured)."""
        return self.queues.get(queue.lower(), QueueOverrides())

    @classmethod
    def load(cls, **values: Any) -> Self:
        """Read the environment (plus ``values``), raising :class:`SettingsError` on bad input.

        A ``TEMPORAL_*`` variable that no setting reads is logged as a warning (other Temporal
        tools have variables of their own, see ``FOREIGN_PREFIXES``), or refused when
        ``reject_unknown_variables`` is on; a bad value's message also names such variables,
        since a misspelt name is a likely cause.
        """
        environ = dict(os.environ)
        unknown = unknown_variables(environ, cls.model_fields)
        try:
            settings = cls(**values)
        except ValidationError as error:
            message = describe_validation_error(error, environ)
            raise SettingsError(message + describe_unknown(unknown)) from None
        if unknown and settings.reject_unknown_variables:
            raise SettingsError(
                "invalid Temporal settings:"
                + describe_unknown(unknown)
                + "\n  (TEMPORAL_REJECT_UNKNOWN_VARIABLES is true)"
            )
        if unknown:
            logger.warning("ignoring Temporal settings:%s", describe_unknown(unknown))
        return settings


def describe_unknown(unknown: Mapping[str, list[str]]) -> str:
    """One line per unknown variable with the names it resembles ("" when there is none)."""
    lines = [""]
    for name, matches in sorted(unknown.items()):
        hint = f"; did you mean {' or '.join(matches)}?" if matches else ""
        lines.append(f"  {name}: not a Temporal setting that anything reads{hint}")
    if len(lines) > 1:
        lines.append("  (the variables are listed in the README's configuration table)")
    return "\n".join(lines) if len(lines) > 1 else ""


def env_var_name(location: tuple[int | str, ...], environ: Mapping[str, str] | None = None) -> str:
    """Return the environment variable that a pydantic error location refers to.

    With ``environ``, a field set only through Temporal's spelling (``TEMPORAL_ADDRESS`` for
    ``url``) is named by that spelling, so the message points at what the user wrote.
    """
    parts = [str(part) for part in location if not isinstance(part, int)]
    if not parts:
        return ENV_PREFIX + "*"
    ours = ENV_PREFIX + _NESTED.join(parts).upper()
    if environ is not None and ours not in environ and len(parts) == 1:
        for standard, field in STANDARD_ALIASES.items():
            if field == parts[0] and standard in environ:
                return standard
    return ours


def describe_validation_error(
    error: ValidationError, environ: Mapping[str, str] | None = None
) -> str:
    """Render a settings validation error as one line per offending variable."""
    lines = ["invalid Temporal settings:"]
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if location:
            given = item.get("input")
            shown = "" if isinstance(given, dict) else f" (got {given!r})"
            lines.append(f"  {env_var_name(location, environ)}: {message}{shown}")
        else:
            lines.append(f"  {message}")
    return "\n".join(lines)
