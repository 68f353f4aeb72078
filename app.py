"""Entry point: `streamlit run app.py`. Declares the pages; each page file stays thin.

The page files live in `app_pages/`, not `pages/`: with a `pages/` folder beside the entry
script, a freshly started Streamlit server serves a shared deep link (e.g. /playground) in its
legacy file-name mode until some session has run this script.

`streamlit run app.py` finds the `st.App` below and serves the app with its extra route, the
live view's own channel (`playground/live/channel.py`): charts that train update from it
without re-running a page script per frame. Each browser session runs this file as a script
(`__main__`); the server imports it as a module only to find `app`.
"""

from __future__ import annotations

import streamlit as st

from playground.live.channel import ROUTES
from playground.tab_session import attach_tab

app = st.App(__file__, routes=ROUTES)


def main() -> None:
    st.set_page_config(page_title="Neural Network Playground", page_icon=":material/hub:",
                       layout="wide")
    attach_tab()  # a reload finds this tab's runs again
    st.navigation(pages()).run()


def pages() -> dict[str, list]:
    """The navigation: one entry per page file in app_pages/."""
    return {
        "": [
            st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        ],
        "Learn": [
            st.Page("app_pages/playground_2d.py", title="Playground", icon=":material/science:",
                    url_path="playground"),
            st.Page("app_pages/images.py", title="Train on images", icon=":material/image:",
                    url_path="images"),
            st.Page("app_pages/draw.py", title="Draw a digit", icon=":material/draw:",
                    url_path="draw"),
            st.Page("app_pages/galaxy.py", title="Classify galaxies", icon=":material/public:",
                    url_path="galaxies"),
        ],
        "Lessons": [
            st.Page("app_pages/lessons/perceptron.py", title="1 · The perceptron",
                    icon=":material/linear_scale:", url_path="lesson-perceptron"),
            st.Page("app_pages/lessons/backprop.py", title="2 · Backpropagation by hand",
                    icon=":material/undo:", url_path="lesson-backprop"),
            st.Page("app_pages/lessons/functions.py", title="3 · Activations and losses",
                    icon=":material/show_chart:", url_path="lesson-functions"),
            st.Page("app_pages/lessons/convolution.py", title="4 · Convolution arithmetic",
                    icon=":material/filter:", url_path="lesson-convolution"),
            st.Page("app_pages/lessons/gradients.py", title="5 · Vanishing gradients",
                    icon=":material/trending_down:", url_path="lesson-gradients"),
            st.Page("app_pages/lessons/code.py", title="6 · The code you would write",
                    icon=":material/code:", url_path="lesson-code"),
        ],
        "Look inside": [
            st.Page("app_pages/feature_maps.py", title="Feature maps", icon=":material/grid_on:",
                    url_path="feature-maps"),
        ],
        "Labs": [
            st.Page("app_pages/learning_rate.py", title="Learning rate", icon=":material/speed:",
                    url_path="learning-rate"),
            st.Page("app_pages/optimizers.py", title="Optimizers", icon=":material/route:",
                    url_path="optimizers"),
        ],
    }


if __name__ == "__main__":
    main()
