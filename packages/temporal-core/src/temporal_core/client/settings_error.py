"""The one error a bad setting raises, shared by the settings and the sources they read."""

from __future__ import annotations

__all__ = ["SettingsError"]


class SettingsError(ValueError):
    """A setting has a value that is not allowed; the message names the variable."""
