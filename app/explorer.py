"""The script Streamlit runs: ``make run`` or ``streamlit run app/explorer.py -- --priors DIR``.

Streamlit executes this file anew on every rerun (and ``AppTest`` recompiles it each
time), while imported modules are compiled once per process: the page lives in
``app/page.py`` so that a rerun only calls its ``main``.
"""

from app.page import main

if __name__ == "__main__":  # streamlit runs the page as __main__; imports draw nothing
    main()
