"""The app starts, shows the home page, and the sidebar navigates by page titles."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.helpers import assert_no_exception, open_app, sidebar_nav_labels, wait_for_app


def test_home_page_and_sidebar_navigation(app_server: str, page: Page, artifacts_dir: Path) -> None:
    open_app(page, app_server)

    expect(page.get_by_role("heading", name="Neural Network Playground")).to_be_visible()
    assert_no_exception(page)
    page.screenshot(path=str(artifacts_dir / "home.png"), full_page=True)

    # st.navigation labels links with the st.Page titles; never with the script file names.
    labels = sidebar_nav_labels(page)
    assert "Home" in labels and "Playground" in labels, labels
    for file_name in ("home", "playground", "home.py", "playground.py"):
        assert file_name not in labels, labels
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).not_to_contain_text(re.compile(r"\.py\b"))

    sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Playground").click()
    expect(page).to_have_url(re.compile(r"/playground/?(\?.*)?$"))  # the setup joins the URL
    wait_for_app(page)
    link = sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Playground")
    expect(link).to_have_attribute("aria-current", "page")
    assert_no_exception(page)


def test_deep_link_first_visit_uses_page_titles(fresh_app_server: str, page: Page) -> None:
    open_app(page, fresh_app_server, "playground")

    labels = sidebar_nav_labels(page)
    assert labels[:2] == ["Home", "Playground"], labels
    # titles, never script names such as "playground_2d" or "feature_maps.py"
    # (lessons are numbered: "1 · The perceptron")
    assert all((label[0].isupper() or label[:4].rstrip(" ·").isdigit()) and "_" not in label
               and ".py" not in label for label in labels), labels
    expect(page).to_have_title("Neural Network Playground")
    assert_no_exception(page)
