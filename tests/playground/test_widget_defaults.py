"""playground.state._with_default: the value a widget shows goes in as its own default too, in
the argument and type that widget takes, and never where Streamlit would refuse it."""

from __future__ import annotations

import pytest
import streamlit as st

from playground.state import _with_default


@pytest.mark.parametrize(("widget", "current", "args", "kwargs", "expected"), [
    (st.number_input, 500, (), {"min_value": 4, "max_value": 20_000, "step": 50},
     {"value": 500}),
    (st.number_input, 3, (), {"min_value": 0.0, "max_value": 10.0}, {"value": 3.0}),
    (st.number_input, 2.0, (), {"min_value": 0, "step": 1}, {"value": 2}),
    (st.slider, 0.25, (0.1, 0.4), {"step": 0.05}, {"value": 0.25}),
    (st.selectbox, "tanh", (["relu", "tanh"],), {}, {"index": 1}),
    (st.radio, 1, ([3, 1],), {"horizontal": True}, {"index": 1}),
    (st.select_slider, 0.03, ([0.01, 0.03, 0.1],), {}, {"value": 0.03}),
    (st.multiselect, ["a"], (["a", "b"],), {}, {"default": ["a"]}),
    (st.checkbox, True, (), {}, {"value": True}),
    (st.toggle, False, (), {}, {"value": False}),
])
def test_the_value_goes_in_as_the_default(widget, current, args, kwargs, expected) -> None:
    given = dict(kwargs)
    assert _with_default(widget, current, args, kwargs) == {**given, **expected}
    assert kwargs == given  # the caller's dict is left alone


@pytest.mark.parametrize(("widget", "current", "args", "kwargs"), [
    (st.number_input, 2.5, (), {"min_value": 0, "step": 1}),      # not the widget's type
    (st.number_input, 1, (), {"min_value": 4}),                    # below its minimum
    (st.slider, 0.9, (0.1, 0.4), {}),                              # above its maximum
    (st.number_input, True, (), {}),                               # a bool is no number here
    (st.number_input, 3, (0, 10, 5), {}),                          # value already given
    (st.selectbox, "gelu", (["relu", "tanh"],), {}),               # not among the options
    (st.selectbox, "tanh", (["relu", "tanh"],), {"index": 0}),     # index already given
    (st.multiselect, ["a"], (["a", "b"], ["b"]), {}),              # default already given
    (st.checkbox, True, (), {"value": False}),
])
def test_no_default_where_streamlit_would_refuse_it(widget, current, args, kwargs) -> None:
    assert _with_default(widget, current, args, kwargs) == kwargs
