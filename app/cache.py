"""Cache keys by content: the same numbers give the same key, whatever the object.

An object's ``id`` is not a key: it is reused once an object is freed, so a cache keyed
on it can hand back another model's results.
"""

from __future__ import annotations

import weakref

from model import DiagnosticModel
from model.interfaces.version import fingerprint

_KEYS: weakref.WeakKeyDictionary[DiagnosticModel, str] = weakref.WeakKeyDictionary()


def model_key(model: DiagnosticModel) -> str:
    """The digest of a model's numbers and vocabulary (computed once per model object).

    >>> from model import load_model
    >>> a, b = load_model(), load_model()
    >>> model_key(a) == model_key(b) != model_key(a.with_values({"causes:dvt.prevalence": 0.003}))
    True
    """
    key = _KEYS.get(model)
    if key is None:
        key = _KEYS[model] = fingerprint(model.spec)
    return key
