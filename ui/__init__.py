"""Streamlit UI pieces. Only widgets and rendering; computation lives in ``geo/``."""
