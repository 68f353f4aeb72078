"""One exception type for everything a user can get wrong, carrying one plain sentence."""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad value or an impossible network, explained in plain words (no traceback shown)."""
