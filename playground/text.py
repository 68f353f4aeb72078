"""Show user-supplied text (file names, CSV headers, cells) literally inside Markdown."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def literal(text: str) -> str:
    """`text` with every Markdown-active character escaped, so st.error/st.caption show it
    as typed (a header called `**x**` or `[a](b)` stays those characters)."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", " ")
