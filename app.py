"""Entry point: `streamlit run app.py`. Declares the pages; each page file stays thin."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Neural Network Playground", page_icon="🧠", layout="wide")

PAGES = {
    "": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    ],
    "Learn": [
        st.Page("pages/playground.py", title="Playground", icon="🧪", url_path="playground"),
    ],
}

st.navigation(PAGES).run()
