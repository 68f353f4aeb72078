"""Running a page in AppTest the way every page test wants it: any exception fails the test
with the page's own message."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def run_clean(at: AppTest) -> AppTest:
    """Run the script once and fail on any exception it shows."""
    at.run()
    assert not at.exception, "\n".join(str(e.value) for e in at.exception)
    return at
