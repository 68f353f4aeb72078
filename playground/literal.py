"""User-supplied text shown as exactly that text.

Streamlit renders most text (alerts, captions, markdown, image captions, widget labels) as
Markdown, so a value from a link, a file name, a zip entry, a CSV header or a config file such
as `![x](https://evil.example/t.png)` would become an image fetched from outside, and
`[Log in](https://evil.example)` a real link inside our own UI. `literal` escapes every ASCII
punctuation mark (CommonMark lets a backslash escape any of them), which stops images, links,
HTML, LaTeX (`$`), emphasis, headings and lists; line breaks become spaces, so a value cannot
start a block of its own.

Escapes do not stop GitHub-flavoured *autolinks*: Streamlit's Markdown finds `https://…`,
`www.…` and `name@host` in the text after escapes are resolved. An invisible WORD JOINER
(U+2060) after the scheme's colon, after `www` and before `@` breaks those patterns; the text
looks the same, and a copied address no longer opens by accident.
"""

from __future__ import annotations

import re
import string

WORD_JOINER = "\u2060"
_AUTOLINKS = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?=@)")
_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation}
                         | {"\n": " ", "\r": " ", "\t": " ", "\u2028": " ", "\u2029": " "})


def literal(text: object) -> str:
    """Markdown that displays `text` verbatim (any object: its str())."""
    return _AUTOLINKS.sub(WORD_JOINER, str(text)).translate(_ESCAPES)
