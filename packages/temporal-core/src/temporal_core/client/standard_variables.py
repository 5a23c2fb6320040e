"""Temporal's standard client variables and TOML profiles, read into ``TemporalSettings`` fields.

``temporalio.envconfig`` defines the names every Temporal SDK and the ``temporal`` CLI understand
(``TEMPORAL_ADDRESS``, ``TEMPORAL_TLS_*``, ``TEMPORAL_PROFILE`` ...). Most of them are also the
names of our own fields (``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS_SERVER_NAME``
...); three differ, and both spellings are accepted:

========================================  ===============================
Temporal's name                           ours
========================================  ===============================
``TEMPORAL_ADDRESS``                      ``TEMPORAL_URL``
``TEMPORAL_TLS``                          ``TEMPORAL_TLS_ENABLED``
``TEMPORAL_TLS_SERVER_CA_CERT_PATH``      ``TEMPORAL_TLS_CA_CERT_PATH``
========================================  ===============================

Setting both spellings to different values is an error: neither silently wins.

Precedence, highest first: values passed in code, environment variables (either spelling), the
TOML profile, defaults; the same order as Temporal's own loader (the environment overrides the
file). The TOML file is read only when ``TEMPORAL_CONFIG_FILE`` or ``TEMPORAL_PROFILE`` is set:
unlike the SDK, a developer's personal CLI profile (for example one pointing at Temporal Cloud)
never redirects a service that was not asked to use it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from temporalio.envconfig import ClientConfigProfile, DataSource

from temporal_core.client.settings_error import SettingsError

__all__ = [
    "FOREIGN_PREFIXES",
    "GRPC_META_PREFIX",
    "STANDARD_ALIASES",
    "StandardVariablesSource",
    "unknown_variables",
]

PREFIX = "TEMPORAL_"

STANDARD_ALIASES: Mapping[str, str] = {
    "TEMPORAL_ADDRESS": "url",
    "TEMPORAL_TLS": "tls_enabled",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH": "tls_ca_cert_path",
}
"""Temporal's names whose field is spelled differently here (name -> field)."""

GRPC_META_PREFIX = "TEMPORAL_GRPC_META_"
"""``TEMPORAL_GRPC_META_X_TENANT=a`` sends the gRPC header ``x-tenant: a`` (Temporal's rule)."""

FOREIGN_PREFIXES = (
    "TEMPORAL_CLI_",  # the temporal CLI, and our dev-server fixture's TEMPORAL_CLI_PATH
    "TEMPORAL_TEST_",  # TEMPORAL_TEST_SERVER_PATH of our time-skipping fixture
    "TEMPORAL_CODEC_",  # the CLI's codec endpoint (TEMPORAL_CODEC_ENDPOINT, TEMPORAL_CODEC_AUTH)
    "TEMPORAL_CORE_",  # the SDK core's debugging switches
    "TEMPORAL_UI_",  # the Web UI server and our compose file's UI port
    "TEMPORAL_DEFAULT_NAMESPACE",  # the Web UI server
    "TEMPORAL_ENV",  # the temporal CLI's environment name
    "TEMPORAL_PRINT_FULL_PAYLOADS",  # the SDK core
    "TEMPORAL_MAX_INCOMING_GRPC_BYTES",  # the SDK core
    "TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS",  # the SDK core
    "TEMPORAL_POLL_SHUTDOWN_INTERRUPT_WAIT_MS",  # the SDK core
)
"""``TEMPORAL_*`` names that other Temporal tools read: never reported as unknown."""

_NESTED = "__"


class StandardVariablesSource(PydanticBaseSettingsSource):
    """A settings source for Temporal's standard names, gRPC metadata and the TOML profile.

    It sits below the ordinary environment source, so ``TEMPORAL_URL`` and the other names of
    our fields are read as before; this source fills in what only Temporal's spelling set.
    """

    def __init__(
        self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None = None
    ) -> None:
        """Read ``environ`` (default: the process environment) when called."""
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: :meth:`__call__` maps the variables itself (several names feed one field)."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """The field values that Temporal's names and the profile give, lowest priority first."""
        environ = os.environ if self._environ is None else self._environ
        values = profile_values(environ)
        for name, field in STANDARD_ALIASES.items():
            if name not in environ:
                continue
            ours = PREFIX + field.upper()
            if ours in environ and not _same(
                self.settings_cls.model_fields[field], environ[ours], environ[name]
            ):
                raise SettingsError(
                    f"invalid Temporal settings:\n  {ours} ({environ[ours]!r}) and {name} "
                    f"({environ[name]!r}) name the same setting with different values; "
                    "set only one of them"
                )
            values[field] = environ[name]
        metadata = {
            _header_name(name): value
            for name, value in environ.items()
            if name.startswith(GRPC_META_PREFIX) and name != GRPC_META_PREFIX
        }
        if metadata:
            merged = {**values.get("grpc_meta", {}), **metadata}
            # An empty value removes a header the profile set (Temporal's rule).
            values["grpc_meta"] = {key: value for key, value in merged.items() if value}
        return values


def profile_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """Field values from the TOML profile that ``TEMPORAL_CONFIG_FILE``/``TEMPORAL_PROFILE`` name.

    Read with ``temporalio.envconfig`` itself (strictly: an unknown key in the file is an error),
    with its environment overrides turned off because the settings apply the environment.
    """
    file, name = (
        environ.get("TEMPORAL_CONFIG_FILE") or None,
        environ.get("TEMPORAL_PROFILE") or None,
    )
    if file is None and name is None:
        return {}
    if file is not None and not Path(file).is_file():
        raise SettingsError(
            f"invalid Temporal settings:\n  TEMPORAL_CONFIG_FILE: {file} does not exist"
        )
    try:
        profile = ClientConfigProfile.load(
            name,
            config_source=Path(file) if file is not None else None,
            disable_env=True,
            config_file_strict=True,
        )
    except RuntimeError as error:  # the SDK's ConfigError: unreadable TOML, unknown profile
        where = file or "the default Temporal config file"
        raise SettingsError(
            f"invalid Temporal settings:\n  TEMPORAL_PROFILE {name or 'default'!r} "
            f"from {where}: {error}"
        ) from None
    values: dict[str, Any] = {}
    if profile.address:
        values["url"] = profile.address
    if profile.namespace:
        values["namespace"] = profile.namespace
    if profile.api_key:
        values["api_key"] = profile.api_key
    if profile.grpc_meta:
        values["grpc_meta"] = dict(profile.grpc_meta)
    tls = profile.tls
    if tls is not None:
        # A [profile.x.tls] table turns TLS on unless it says disabled = true (as in the SDK).
        values["tls_enabled"] = tls.disabled is not True
        if tls.server_name:
            values["tls_server_name"] = tls.server_name
        for source, path_field, data_field in (
            (tls.server_root_ca_cert, "tls_ca_cert_path", "tls_server_ca_cert_data"),
            (tls.client_cert, "tls_client_cert_path", "tls_client_cert_data"),
            (tls.client_private_key, "tls_client_key_path", "tls_client_key_data"),
        ):
            _put_source(values, source, path_field, data_field)
    return values


def _put_source(
    values: dict[str, Any], source: DataSource | None, path_field: str, data_field: str
) -> None:
    if isinstance(source, Path):
        values[path_field] = source
    elif isinstance(source, bytes):
        values[data_field] = source.decode()
    elif isinstance(source, str):
        values[data_field] = source


def _header_name(variable: str) -> str:
    # Temporal's rule: the rest of the name, lower-cased, underscores as dashes.
    return variable.removeprefix(GRPC_META_PREFIX).lower().replace("_", "-")


def _same(field: FieldInfo, first: str, second: str) -> bool:
    """Whether two spellings mean the same value (``true``/``1``; ``a/../b.pem``/``b.pem``)."""
    adapter: TypeAdapter[Any] = TypeAdapter(field.annotation or str)
    try:
        parsed = [adapter.validate_python(value) for value in (first, second)]
    except ValidationError:
        return first == second
    if all(isinstance(value, Path) for value in parsed):
        return Path(first).resolve() == Path(second).resolve()
    return parsed[0] == parsed[1]


def known_variable_names(field_names: Iterable[str]) -> set[str]:
    """Every top-level ``TEMPORAL_*`` name the settings read: fields and Temporal's spellings."""
    return {PREFIX + name.upper() for name in field_names} | set(STANDARD_ALIASES)


def unknown_variables(
    environ: Mapping[str, str], field_names: Iterable[str]
) -> dict[str, list[str]]:
    """``TEMPORAL_*`` variables that nothing reads, each with the known names it resembles.

    A nested name (``TEMPORAL_QUEUES__ORDERS__X``) counts as known when its first part is a
    field: the nested models refuse unknown keys themselves, with a more precise message.
    """
    known = known_variable_names(field_names)
    unknown: dict[str, list[str]] = {}
    for name in environ:
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper.startswith(GRPC_META_PREFIX):
            continue
        if upper.startswith(FOREIGN_PREFIXES) or upper.split(_NESTED, 1)[0] in known:
            continue
        unknown[name] = difflib.get_close_matches(upper, sorted(known), n=3, cutoff=0.75)
    return unknown
