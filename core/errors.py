"""One exception type for everything a user can get wrong, carrying one plain sentence."""

from __future__ import annotations

import reprlib
from typing import Any


class ConfigError(ValueError):
    """A bad value or an impossible network, explained in plain words (no traceback shown)."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 64
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = 4
_SHORT.maxlevel = 2
_SHORT.maxlong = 24


def shown(value: Any) -> str:
    """A value from a file or a link, quoted for a message: short, whatever its size or depth
    (a 5,000-digit number or a list nested 10,000 deep must not become the message)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**24:
        try:
            digits = len(str(abs(value)))
        except ValueError:  # str() refuses more than 4,300 digits
            digits = int(abs(value).bit_length() * 0.30103) + 1
        return f"a number with about {digits:,} digits"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return _SHORT.repr(value)
