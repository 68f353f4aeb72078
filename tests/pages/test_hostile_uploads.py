"""Hostile uploads: file names that are Markdown (an outside image, a fake log-in link) are
shown as literal text on the galaxy page, a config upload with such values or deep nesting
gets its plain sentence, and the upload limit is what the app can hold.

AppTest cannot drive a file chooser: files are handed in where the galaxy page receives them
(`playground.galaxies.galaxy_views.uploaded`, as tests/pages/test_galaxy_page.py does).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from core.safe_files import MAX_PICTURE_BYTES
from playground.literal import literal
from playground.sharing import apply_uploaded_config
from tests.core.test_galaxy import galaxy_picture, png_bytes
from tests.pages.test_galaxy_page import assets, files, run_page  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "![x](https://evil.example/t.png)"
LOGIN = "[Click here to log in](https://evil.example/login)"


def _markdown_sources(at) -> list[str]:
    """Every piece of Markdown the page sent: alerts, markdown, captions."""
    return [e.value for group in (at.error, at.warning, at.info, at.success, at.markdown,
                                  at.caption) for e in group]


def test_hostile_file_names_are_shown_as_literal_text(assets, files) -> None:  # noqa: F811
    junk, good = f"{IMAGE}.png", f"{LOGIN}.png"
    files["galaxy:uploads"] = [(junk, b"%PDF-1.4 not a picture"),
                               (good, png_bytes(galaxy_picture()))]
    at = run_page()
    assert not at.exception
    refusal = "this is a PDF document, not an image (whatever its name says)"
    assert [e.value for e in at.error] == [f"**{literal(junk)}**: {literal(refusal)}"]
    sources = _markdown_sources(at)
    for text in sources:  # no live image or link syntax anywhere: every "](" is escaped
        assert "](" not in text.replace("\\](", ""), text
        assert "https://" not in text, text
    # the table and the detail picker hold the names as plain data (not Markdown)
    assert list(at.dataframe[0].value["file"]) == [junk, good]
    assert [m.value for m in at.markdown if m.value.startswith("### ")]  # the good one's answer


CONFIG_CASES = {
    "an outside image as the dataset": (
        json.dumps({"dataset": {"name": IMAGE}}).encode(),
        "That config cannot be used: dataset.name: unknown dataset "
        "'![x](https://evil.example/t.png)' (choose from circle, xor, gauss, spiral, moons, sin, "
        "plane, bumps, csv, mnist, digits, galaxy_zoo, galaxy10_sdss, galaxy10_decals, folders)"),
    "a log-in link as a feature": (
        json.dumps({"dataset": {"features": [LOGIN]}}).encode(),
        "That config cannot be used: dataset.features: unknown feature "
        "'[Click here to log in](https://evil.example/login)' (choose from x1, x2, x1^2, x2^2, "
        "x1x2, sin_x1, sin_x2)"),
    "layers nested 3,000 deep": (
        ('{"network": {"layers": ' + "[" * 3000 + "]" * 3000 + "}}").encode(),
        "That config cannot be used: the configuration is nested 3,002 levels deep; a "
        "configuration needs at most 20"),
    "Latin-1 bytes": ('{"dataset": {"name": "café"}}'.encode("latin-1"),
                      "That file is not a text (JSON) file."),
    "a Conv2D layer": (json.dumps({"network": {"layers": [{"type": "conv2d"}]}}).encode(),
                       "That config cannot be used: layer 1 is a Conv2D layer; the "
                       "Playground's hidden layers are dense (Train on images has the others)."),
    "an image dataset": (json.dumps({"dataset": {"name": "digits"},
                                     "training": {"loss": "cce"}}).encode(),
                         "That config cannot be used: it is for the digits dataset, not a 2-D "
                         "playground one."),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_a_hostile_config_upload_gets_its_sentence(case) -> None:
    raw, message = CONFIG_CASES[case]
    assert apply_uploaded_config("playground", raw) == message
    assert "](" not in literal(message).replace("\\](", "")  # as the page shows it


def test_the_upload_limit_is_what_the_app_reads() -> None:
    """Streamlit's default is 200 MB, held in memory per session; ours is the size the
    readers accept (core.safe_files), and the client section stays as it was."""
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["maxUploadSize"] * 1000**2 == MAX_PICTURE_BYTES == 100 * 1000**2
    assert settings["client"]["toolbarMode"] == "minimal"
