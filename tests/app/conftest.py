"""Shared by the explorer's AppTest modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
import streamlit as st


@pytest.fixture
def fresh_explorer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The explorer run as ``explorer.py`` with no arguments, and empty Streamlit caches."""
    monkeypatch.setattr(sys, "argv", ["explorer.py"])
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()
