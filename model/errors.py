"""The project's exceptions: catch ``CalfdxError`` or the builtin each one also is."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class CalfdxError(Exception):
    """Base class of every error calfdx raises on purpose."""


class PriorsError(CalfdxError, ValueError):
    r"""A priors folder has problems; ``problems`` lists every one, each on its own line.

    >>> str(PriorsError(["a.toml: x: bad", "b.toml: y: worse"]))
    '2 problems in the priors:\na.toml: x: bad\nb.toml: y: worse'
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = "1 problem in the priors" if n == 1 else f"{n} problems in the priors"
        super().__init__(f"{head}:\n" + "\n".join(self.problems))


class EvidenceError(CalfdxError, ValueError):
    """Evidence names an unknown variable or state, or gives one variable twice."""


class ImpossibleEvidenceError(EvidenceError):
    """The evidence has probability zero under the model."""


def impossible_message(conflict: Iterable[str]) -> str:
    """The message for evidence of probability zero, naming the items that conflict.

    >>> impossible_message(["dvt=present", "one_leg_swelling=no"])
    'the evidence has probability zero under this model: dvt=present with one_leg_swelling=no cannot occur together'
    """
    return (
        "the evidence has probability zero under this model: "
        f"{' with '.join(conflict)} cannot occur together"
    )


class UnknownCauseError(CalfdxError, KeyError, ValueError):
    """A cause id or state asked for is not in the model.

    A ``KeyError`` (a lookup that misses) and a ``ValueError``, as bad evidence is, so
    code that catches either gets it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def quote(value: object, limit: int = 60) -> str:
    r"""``value`` quoted for a one-line message: control characters escaped, long text cut.

    >>> quote("yes")
    "'yes'"
    >>> quote("yes\nTRIAGE: SELF_CARE")
    "'yes\\nTRIAGE: SELF_CARE'"
    >>> quote(3), quote(None)
    ('3', 'None')
    >>> quote("x" * 100)[-5:]
    "x...'"
    """
    text = value if isinstance(value, str) else repr(value)
    escaped = "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in text
    )
    escaped = escaped.replace("'", "\\'") if isinstance(value, str) else escaped
    if len(escaped) > limit:
        escaped = escaped[: limit - 3] + "..."
    return f"'{escaped}'" if isinstance(value, str) else escaped


def _swapped(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a near miss, else an empty string.

    A near miss is a swap of two neighbouring letters (``eys``, ``dtv``) or a close
    spelling by ``difflib`` (cutoff lower for short words, where one letter weighs more).

    >>> did_you_mean("one_leg_sweling", ["one_leg_swelling", "bruising"])
    " (did you mean 'one_leg_swelling'?)"
    >>> did_you_mean("eys", ["no", "yes"]), did_you_mean("yse", ["no", "yes"])
    (" (did you mean 'yes'?)", " (did you mean 'yes'?)")
    >>> did_you_mean("dtv", ["dvt", "doms"])
    " (did you mean 'dvt'?)"
    >>> did_you_mean("zzz", ["bruising"])
    ''
    """
    options = [c for c in choices if isinstance(c, str)]
    if not isinstance(word, str) or not word:
        return ""
    swapped = [c for c in options if _swapped(word, c)]
    cutoff = 0.6 if len(word) <= 5 else 0.75
    close = swapped or difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return f" (did you mean {quote(close[0])}?)" if close else ""


def one_of(word: str, choices: Iterable[str]) -> str:
    """Describe the valid choices for ``word``, with a did-you-mean when one is near.

    >>> one_of("maybe", ["no", "yes"])
    'valid: no, yes'
    """
    options = [str(c) for c in choices]
    return f"valid: {', '.join(options)}{did_you_mean(word, options)}"


def unknown_state(var_id: str, state: str, states: Sequence[str]) -> str:
    r"""The message for a state that ``var_id`` does not have.

    >>> unknown_state("bruising", "yes\nTRIAGE: SELF_CARE", ("no", "yes"))
    "unknown state 'yes\\nTRIAGE: SELF_CARE' for bruising; valid: no, yes"
    """
    return f"unknown state {quote(state)} for {var_id}; {one_of(state, states)}"


def first_repeated(items: Iterable[str]) -> str | None:
    """The first item that comes again (a column, a parent, a key given twice), or None.

    >>> first_repeated(["a", "b", "b", "a"]), first_repeated(["a", "b"])
    ('b', None)
    """
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None
