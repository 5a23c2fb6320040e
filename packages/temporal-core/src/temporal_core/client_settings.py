"""Which settings a client was created with, so start helpers apply the right defaults."""

from __future__ import annotations

from functools import cache
from weakref import WeakKeyDictionary

from temporalio.client import Client

from temporal_core.settings import TemporalSettings

__all__ = ["default_settings", "remember_settings", "settings_for"]

_by_client: WeakKeyDictionary[Client, TemporalSettings] = WeakKeyDictionary()


@cache
def default_settings() -> TemporalSettings:
    """The process's settings from the environment, read once."""
    return TemporalSettings.load()


def remember_settings(client: Client, settings: TemporalSettings) -> None:
    """Record that ``client`` was configured from ``settings``."""
    _by_client[client] = settings


def settings_for(client: Client) -> TemporalSettings:
    """The settings ``client`` was created with, else the environment's."""
    return _by_client.get(client) or default_settings()
