"""Hostile shared links on the Playground (AppTest): Markdown in a value is shown as literal
text, deep JSON gives a sentence instead of a RecursionError box, and links the Playground's
editor cannot show (33+ layers, Flatten, Conv2D, an image data set) are refused plainly.

Each case: the exact warning (as the Markdown source Streamlit receives, escaped by
playground.literal), no exception, and the default lesson loaded in its place.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.train import Job
from playground.literal import literal
from playground.presets import DEFAULT_PRESET, PRESETS

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "app_pages/playground_2d.py"
IMAGE = "![x](https://evil.example/t.png)"
LOGIN = "[Click here to log in](https://evil.example/login)"

# query parameters -> what the warning says between "could not be used (" and ")"
CASES = {
    "image in dataset.name": (
        {"dataset.name": IMAGE},
        "dataset.name: unknown dataset '![x](https://evil.example/t.png)' (choose from circle, "
        "xor, gauss, spiral, moons, sin, plane, bumps, csv, mnist, digits, galaxy_zoo, "
        "galaxy10_sdss, galaxy10_decals, folders)"),
    "login link as the optimizer": (
        {"training.optimizer": LOGIN},
        "training.optimizer: unknown value '[Click here to log in](https://evil.example/login)' "
        "(choose from sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, adamw)"),
    "login link in a layer": (
        {"network.layers": f"8:tanh,8:{LOGIN}"},
        "layer 2: '8:[Click here to log in](https://evil.example/login)' in the link is not "
        "units:activation"),
    "login link as a setting name": (
        {f"training.{LOGIN}": "1"},
        "the link has an unknown setting 'training.[Click here to log in](https://evil.example/"
        "login)'"),
    "network.layers nested 3,000 deep": (
        {"network.layers": "[" * 3000 + "]" * 3000},
        "network.layers in the link is nested 3,000 levels deep; a configuration needs at "
        "most 20"),
    "dataset.augment nested 3,000 deep": (
        {"dataset.augment": '{"a":' * 3000 + "1" + "}" * 3000},
        "dataset.augment in the link is nested 3,000 levels deep; a configuration needs at "
        "most 20"),
    "5,000-digit epochs": (
        {"training.epochs": "9" * 5000},
        "training.epochs in the link must be a whole number, not "
        "'99999999999999999999999999999...999999999999999999999999999999'"),
    "40 hidden layers": (
        {"network.layers": ",".join(["4:tanh"] * 40)},
        "it has 40 hidden layers; the Playground holds at most 32"),
    "a Flatten layer": (
        {"network.layers": '[{"type":"flatten"}]'},
        "layer 1 is a Flatten layer; the Playground's hidden layers are dense (Train on images "
        "has the others)"),
    "a NaN dropout layer": (
        {"network.layers": '[{"type":"dropout","rate":NaN}]'},
        "layer 1: rate must be a finite number, not nan"),
    "an image data set": (
        {"dataset.name": "mnist"},
        "it is for the mnist dataset, not a 2-D playground one"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_link_is_refused_in_literal_words(case, started_jobs: list[Job]) -> None:
    params, reason = CASES[case]
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(PAGE)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()

    assert not at.exception, [str(e.value) for e in at.exception]
    message = f"This link's configuration could not be used ({reason}); showing the default."
    assert [w.value for w in at.warning] == [literal(message)]
    assert "](" not in at.warning[0].value.replace("\\](", "")  # no live link or image syntax
    default = PRESETS[DEFAULT_PRESET].config()
    job = at.session_state["_session_jobs"].get("playground")
    assert job is not None and job.config.to_dict() == default.to_dict()
    assert not at.error


def test_literal_escapes_every_markdown_construct() -> None:
    """The escaping itself: every ASCII punctuation mark gets a backslash, lines become one,
    and a word joiner (U+2060) breaks what GFM would autolink (https://, www., name@host)."""
    wj = "\u2060"
    assert literal(IMAGE) == r"\!\[x\]\(https\:" + wj + r"\/\/evil\.example\/t\.png\)"
    assert literal("<img src=x> $x$ :red[a] *b* www.evil.example a@b.c\n# h") == (
        r"\<img src\=x\> \$x\$ \:red\[a\] \*b\* www" + wj + r"\.evil\.example a" + wj
        + r"\@b\.c \# h")
