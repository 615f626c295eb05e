"""The project's exceptions: catch ``CalfdxError`` or the builtin each one also is."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


class UnknownCauseError(CalfdxError, KeyError):
    """A cause id or state asked for is not in the model."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a near miss, else an empty string.

    >>> did_you_mean("one_leg_sweling", ["one_leg_swelling", "bruising"])
    " (did you mean 'one_leg_swelling'?)"
    >>> did_you_mean("zzz", ["bruising"])
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(word: str, choices: Iterable[str]) -> str:
    """Describe the valid choices for ``word``, with a did-you-mean when one is near.

    >>> one_of("maybe", ["no", "yes"])
    'valid: no, yes'
    """
    options = list(choices)
    return f"valid: {', '.join(options)}{did_you_mean(word, options)}"
