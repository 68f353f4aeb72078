"""Entry point: `streamlit run app.py`. Declares the pages; each page file stays thin.

The page files live in `app_pages/`, not `pages/`: with a `pages/` folder beside the entry
script, a freshly started Streamlit server serves a shared deep link (e.g. /playground) in its
legacy file-name mode until some session has run this script.
"""

from __future__ import annotations

import streamlit as st

from playground.tab_session import attach_tab

st.set_page_config(page_title="Neural Network Playground", page_icon=":material/hub:",
                   layout="wide")
attach_tab()  # a reload finds this tab's runs again

PAGES = {
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

st.navigation(PAGES).run()
