"""The calfdx what-if explorer (Streamlit): ``streamlit run app/explorer.py -- --priors DIR``.

``explorer.py`` only draws; the helpers beside it (``state``, ``views``, ``graph``,
``overrides``) are plain functions over ``model/`` objects, tested without Streamlit.
"""
