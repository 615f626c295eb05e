"""What is computed from posteriors.

Explanations (``explain``), next questions (``questions``), batch scoring (``batch``) and
sensitivity analysis (``sensitivity``). Each depends on the small protocol of
``protocol``, never on the facade ``model.api``.
"""
