"""The priors files: read, validated, and frozen into a spec.

``toml_io`` is the only module that reads TOML, ``loader`` the one validation gate,
``spec`` the frozen objects it returns and ``keys`` the names of each number.
"""
