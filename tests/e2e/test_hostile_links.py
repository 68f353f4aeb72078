"""Injection links and file names in the real browser: every request leaving the app's own
server is intercepted (and refused), and the test asserts that none but Streamlit's own icon
requests was even attempted (none to the link's host), that no `<a href>` or `<img src>` points
to an outside host, and that the hostile text is shown literally.

Cases: `?dataset.name=![x](https://evil.example/t.png)` and `?dataset.name=[Click here to log
in](https://evil.example/login)` on the Playground, and galaxy uploads named like them.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from playground.literal import WORD_JOINER
from tests.e2e.helpers import assert_no_exception, open_app, wait_for_app

IMAGE = "![x](https://evil.example/t.png)"
LOGIN = "[Click here to log in](https://evil.example/login)"
SLOW_MS = 90_000
ICON_CDN = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/"
"""Streamlit itself loads the SVG of some `:material/…:` icons from Google's font CDN: the
app's own request, not the link's (and not something this test can stop the page doing)."""

# what the page is allowed to link to or load: itself, and inline data
OUTSIDE_LINKS_JS = """(base) => {
    const outside = [];
    const own = new URL(base).host;
    for (const a of document.querySelectorAll('a[href]')) {
        const url = new URL(a.getAttribute('href'), location.href);
        if (['http:', 'https:'].includes(url.protocol) && url.host !== own) outside.push(url.href);
        if (url.protocol === 'javascript:') outside.push(url.href);
    }
    for (const img of document.querySelectorAll('img[src]')) {
        const url = new URL(img.getAttribute('src'), location.href);
        if (!['data:', 'blob:'].includes(url.protocol) && url.host !== own) outside.push(url.href);
    }
    return outside;
}"""


@pytest.fixture
def outside_requests(page: Page, app_server: str) -> list[str]:
    """Every request the page tries to send anywhere but the app's own server (refused)."""
    own = urlsplit(app_server).netloc
    attempts: list[str] = []

    def guard(route):
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own:
            attempts.append(url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", guard)
    return attempts


def _only_streamlit_icons(attempts: list[str]) -> None:
    assert [url for url in attempts if not url.startswith(ICON_CDN)] == []
    assert not [url for url in attempts if "evil" in url]


def _no_outside_links(page: Page, app_server: str) -> None:
    assert page.evaluate(OUTSIDE_LINKS_JS, app_server) == []


@pytest.mark.parametrize("value", [IMAGE, LOGIN], ids=["outside image", "log-in link"])
def test_an_injection_link_is_shown_as_text_and_loads_nothing(
        page: Page, app_server: str, outside_requests: list[str], value: str) -> None:
    open_app(page, app_server, f"playground?dataset.name={quote(value, safe='')}",
             timeout_ms=SLOW_MS)
    warning = page.get_by_test_id("stAlertContentWarning").filter(
        has_text="could not be used")
    expect(warning).to_be_visible(timeout=SLOW_MS)
    # shown as typed (a word joiner, invisible, sits after "https:" so it cannot autolink)
    assert f"unknown dataset '{value}'" in warning.inner_text().replace(WORD_JOINER, "")
    expect(page.get_by_role("link", name="Click here to log in")).to_have_count(0)
    page.wait_for_timeout(500)  # an image in the warning would be requested by now
    wait_for_app(page, SLOW_MS)
    _only_streamlit_icons(outside_requests)
    _no_outside_links(page, app_server)
    assert_no_exception(page)


def test_upload_names_are_shown_as_text_and_load_nothing(
        page: Page, app_server: str, outside_requests: list[str]) -> None:
    from tests.e2e.test_galaxy import jpeg_bytes

    open_app(page, app_server, "galaxies", timeout_ms=SLOW_MS)
    dropzone = (page.get_by_test_id("stFileUploader").filter(has_text="Galaxy pictures")
                .get_by_test_id("stFileUploaderDropzoneInput"))
    expect(dropzone).to_be_attached(timeout=SLOW_MS)
    dropzone.set_input_files([
        {"name": f"{IMAGE}.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 not a picture"},
        {"name": f"{LOGIN}.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(seed=3)}])
    error = page.get_by_test_id("stAlertContentError").filter(has_text="PDF document")
    expect(error).to_be_visible(timeout=SLOW_MS)
    assert f"{IMAGE}.jpg" in error.inner_text().replace(WORD_JOINER, "")
    caption = page.get_by_test_id("stImageCaption").filter(has_text="Click here to log in")
    expect(caption).to_be_visible(timeout=SLOW_MS)
    assert f"{LOGIN}.jpg" in caption.inner_text().replace(WORD_JOINER, "")
    wait_for_app(page, SLOW_MS)
    expect(page.get_by_role("link", name="Click here to log in")).to_have_count(0)
    _only_streamlit_icons(outside_requests)
    _no_outside_links(page, app_server)
    assert_no_exception(page)
