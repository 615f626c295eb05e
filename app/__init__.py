"""The calfdx what-if explorer (Streamlit): ``streamlit run app/explorer.py -- --priors DIR``.

``page.py`` only draws (``explorer.py``, the script Streamlit runs, just calls it); the
helpers beside it (``state``, ``views``, ``graph``, ``overrides``) are plain functions
over ``model/`` objects, tested without Streamlit.
"""
