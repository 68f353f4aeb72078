"""User-supplied text shown as exactly that text.

Streamlit renders most text (alerts, captions, markdown, image captions, widget labels) as
Markdown, so a value from a link, a file name, a zip entry, a CSV header or a config file such
as `![x](https://evil.example/t.png)` would become an image fetched from outside, and
`[Log in](https://evil.example)` a real link inside our own UI. `literal` escapes every ASCII
punctuation mark (CommonMark lets a backslash escape any of them), which also stops links,
autolinks (`https\\://…`), HTML, LaTeX (`$`), emphasis, headings and lists; line breaks become
spaces, so a value cannot start a block of its own.
"""

from __future__ import annotations

import string

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation}
                         | {"\n": " ", "\r": " ", "\t": " ", "\u2028": " ", "\u2029": " "})


def literal(text: object) -> str:
    """Markdown that displays `text` verbatim (any object: its str())."""
    return str(text).translate(_ESCAPES)
