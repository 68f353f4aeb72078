"""Placeholder replaced by the Playground page."""
import streamlit as st

st.title("Playground")
