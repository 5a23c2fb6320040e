"""Settings for clients and workers, read once from ``TEMPORAL_*`` environment variables.

Every field maps to one variable: ``url`` is ``TEMPORAL_URL``; a per-queue override such as
``queues["orders"].max_concurrent_activities`` is
``TEMPORAL_QUEUES__ORDERS__MAX_CONCURRENT_ACTIVITIES``.
Durations accept seconds (``30``, ``2.5``), a unit suffix (``500ms``, ``30s``, ``5m``, ``2h``,
``1d``) or ISO 8601 (``PT30S``). ``TemporalSettings.load()``
turns a bad value into a :class:`SettingsError` that names the variable and what is allowed.
"""

from __future__ import annotations

import re
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
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.common import RetryPolicy

__all__ = [
    "ENV_PREFIX",
    "QueueOverrides",
    "RetrySettings",
    "SettingsError",
    "TemporalSettings",
]

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


class SettingsError(ValueError):
    """A setting has a value that is not allowed; the message names the variable."""


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
    url: str = Field(default="localhost:7233", description="Frontend gRPC address, host:port.")
    namespace: str = Field(default="default", min_length=1, max_length=255)
    tls_enabled: bool = Field(default=False, description="Use TLS (implied by an API key).")
    tls_ca_cert_path: Path | None = Field(default=None, description="PEM CA bundle to trust.")
    tls_client_cert_path: Path | None = Field(default=None, description="PEM client cert (mTLS).")
    tls_client_key_path: Path | None = Field(default=None, description="PEM client key (mTLS).")
    tls_server_name: str | None = Field(default=None, description="Override the TLS SNI name.")
    api_key: SecretStr | None = Field(default=None, description="API key, e.g. Temporal Cloud.")
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

    @field_validator("queues")
    @classmethod
    def _queue_names_lower(cls, value: dict[str, QueueOverrides]) -> dict[str, QueueOverrides]:
        # Environment keys arrive lower-cased; normalise dict/JSON input the same way so that
        # TEMPORAL_QUEUES__ORDERS__... and queues={"orders": ...} mean the same queue.
        return {name.lower(): overrides for name, overrides in value.items()}

    @model_validator(mode="after")
    def _client_cert_and_key_together(self) -> Self:
        if (self.tls_client_cert_path is None) != (self.tls_client_key_path is None):
            raise ValueError(
                "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set "
                "together for mTLS"
            )
        return self

    @property
    def uses_tls(self) -> bool:
        """Whether connections use TLS: asked for explicitly, by certificates or by an API key."""
        return (
            self.tls_enabled
            or self.api_key is not None
            or self.tls_ca_cert_path is not None
            or self.tls_client_cert_path is not None
        )

    def for_queue(self, queue: str) -> QueueOverrides:
        """Return the overrides for ``queue`` (empty when none are configured)."""
        return self.queues.get(queue.lower(), QueueOverrides())

    @classmethod
    def load(cls, **values: Any) -> Self:
        """Read the environment (plus ``values``), raising :class:`SettingsError` on bad input."""
        try:
            return cls(**values)
        except ValidationError as error:
            raise SettingsError(describe_validation_error(error)) from None


def env_var_name(location: tuple[int | str, ...]) -> str:
    """Return the environment variable that a pydantic error location refers to."""
    parts = [str(part) for part in location if not isinstance(part, int)]
    return ENV_PREFIX + _NESTED.join(parts).upper() if parts else ENV_PREFIX + "*"


def describe_validation_error(error: ValidationError) -> str:
    """Render a settings validation error as one line per offending variable."""
    lines = ["invalid Temporal settings:"]
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if location:
            given = item.get("input")
            shown = "" if isinstance(given, dict) else f" (got {given!r})"
            lines.append(f"  {env_var_name(location)}: {message}{shown}")
        else:
            lines.append(f"  {message}")
    return "\n".join(lines)
