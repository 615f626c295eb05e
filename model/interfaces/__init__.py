"""The ways people reach the model.

The ``calfdx`` command (``cli``), the interview (``interview``), batch files
(``batch_files``) and plain-text formatting (``formatting``).
"""
