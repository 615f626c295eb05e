"""Score many cases at once: check each row, score each distinct evidence pattern once.

A table of cases has one column per variable id and one row per case; an empty cell (or
``unknown``) is unknown evidence. Rows are numbered from 1, the first row after the header,
unless the caller passes its own numbers (``calfdx batch`` passes each row's line in the file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from model.analysis.protocol import PosteriorModel
from model.errors import EvidenceError, impossible_message, one_of, unknown_state
from model.evidence import UNKNOWN, contradiction_message
from model.inference.quickscore import QuickscoreKernel
from model.inference.tables import Array
from model.priors.spec import Exclusion, Variable
from model.triage import red_flag_floors, triage_levels

Codes = NDArray[np.int16]
MEMO_SIZE = 200_000


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be scored, with its number (``unit``: row or line) and the reason."""

    row: int
    reason: str
    unit: str = "row"

    def __str__(self) -> str:
        return f"{self.unit} {self.row}: {self.reason}"


def encode(
    variables: Mapping[str, Variable],
    frame: pd.DataFrame,
    first_row: int = 1,
    numbers: NDArray[np.int64] | None = None,
    unit: str = "row",
    exclusions: Iterable[Exclusion] = (),
) -> tuple[list[str], Codes, list[BadRow]]:
    """State indices per row and column (-1 unknown), and the rows that break the vocabulary.

    Returns the known column ids, the codes of shape ``(rows, columns)`` and the bad rows
    (an unknown column makes every row that fills it in bad, and so do two answers that
    ``exclusions`` says rule each other out). A bad row is numbered ``numbers[i]`` when
    given, else ``first_row + i``.

    >>> import pandas as pd
    >>> from model.priors.spec import Variable
    >>> vs = {"bruising": Variable("bruising", "finding", ("no", "yes"), "Bruising")}
    >>> cols, codes, bad = encode(vs, pd.DataFrame({"bruising": ["yes", None, "maybe"]}))
    >>> codes.ravel().tolist(), [str(b) for b in bad]
    ([1, -1, -1], ["row 3: unknown state 'maybe' for bruising; valid: no, yes"])
    """
    n = len(frame)
    reasons: dict[int, list[str]] = defaultdict(list)
    known = [c for c in frame.columns if c in variables]
    codes = np.full((n, len(known)), -1, dtype=np.int16)
    for column in frame.columns:
        # factorise first: a column holds a handful of distinct words, checked once each
        try:
            ids, uniques = pd.factorize(frame[column], use_na_sentinel=True)
        except TypeError:  # an unhashable cell (a list): read as its text, which no state is
            ids, uniques = pd.factorize(
                frame[column].map(
                    lambda v: v if isinstance(v, str) else repr(v), na_action="ignore"
                ),
                use_na_sentinel=True,
            )
        words = [str(u).strip() for u in uniques]
        if column not in variables:
            message = f"unknown column '{column}'; {one_of(str(column), variables)}"
            filled = np.array([w not in ("", UNKNOWN) for w in words] + [False], dtype=bool)
            for i in np.flatnonzero(filled[ids]):
                reasons[int(i)].append(message)
            continue
        states = variables[column].states
        lookup = np.array(
            [states.index(w) if w in states else -1 if w in ("", UNKNOWN) else -2 for w in words]
            + [-1],
            dtype=np.int16,
        )
        column_codes = lookup[ids]
        for i in np.flatnonzero(column_codes == -2):
            found = words[ids[i]]
            reasons[int(i)].append(unknown_state(column, found, states))
        codes[:, known.index(column)] = np.maximum(column_codes, -1)
    for pair in exclusions:
        (a, sa), (b, sb) = pair
        if a in known and b in known:
            ia, ib = variables[a].states.index(sa), variables[b].states.index(sb)
            both = (codes[:, known.index(a)] == ia) & (codes[:, known.index(b)] == ib)
            for i in np.flatnonzero(both):
                reasons[int(i)].append(contradiction_message(pair))
    label = (lambda i: first_row + i) if numbers is None else (lambda i: int(numbers[i]))
    bad_rows = [BadRow(label(i), "; ".join(reasons[i]), unit) for i in sorted(reasons)]
    return [str(c) for c in known], codes, bad_rows


def distinct_rows(codes: Codes) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """First row of each distinct row, and each row's distinct-row number (hashing, O(n)).

    >>> first, inverse = distinct_rows(np.array([[1, -1], [0, 0], [1, -1]], dtype=np.int16))
    >>> first.tolist(), inverse.tolist()
    ([0, 1], [0, 1, 0])
    """
    ids = np.zeros(len(codes), dtype=np.int64)
    for j in range(codes.shape[1]):
        column = codes[:, j].astype(np.int64) + 1
        combined = ids * (int(column.max(initial=0)) + 1) + column
        ids, _ = pd.factorize(combined)
    first = np.full(int(ids.max(initial=-1)) + 1, len(ids), dtype=np.intp)
    np.minimum.at(first, ids, np.arange(len(ids)))
    return first, ids.astype(np.intp)


def result_columns(model: PosteriorModel) -> list[str]:
    """Output columns: each cause's probability, each non-reference grade, the triage."""
    columns: list[str] = []
    for cause in model.spec.causes:
        var = cause.variable
        columns.append(var.id)
        if len(var.states) > 2:
            columns += [f"{var.id}.{s}" for s in var.states[1:]]
    return [*columns, "triage", "log_evidence"]


class BatchModel(PosteriorModel, Protocol):
    """A model that may also offer a vectorised kernel for many cases at once."""

    @property
    def quickscore(self) -> QuickscoreKernel | None:
        """The kernel tried first, or ``None`` (see ``model.inference.quickscore``)."""
        ...


Scored = tuple[Array, float] | str  # cause-state probabilities and log P(e), or why impossible


def score(
    model: BatchModel,
    frame: pd.DataFrame,
    first_row: int = 1,
    memo: dict[bytes, Scored] | None = None,
    numbers: NDArray[np.int64] | None = None,
    unit: str = "row",
) -> tuple[pd.DataFrame, list[BadRow]]:
    """Posteriors and triage for every good row (indexed like ``frame``), and the bad rows.

    The triage is the most urgent of the probability rules and the red-flag floors of
    each row's answers (``model.triage``), as ``diagnose`` gives it.

    Each distinct evidence pattern is scored once, whatever the number of rows that share it:
    all at once by ``model.inference.quickscore`` where it is exact and cheap, the others one by one
    by the model's engine. Pass the same ``memo`` dict to successive chunks to remember the
    engine's patterns across them (it keeps at most ``MEMO_SIZE`` patterns). ``numbers``
    (one per row) and ``unit`` say how bad rows are named, by default ``row first_row + i``.
    """
    if numbers is None:
        numbers = first_row + np.arange(len(frame), dtype=np.int64)
    spec = model.spec
    columns, codes, bad = encode(spec.variables, frame, first_row, numbers, unit, spec.exclusions)
    position = {int(n): i for i, n in enumerate(numbers)}
    keep = np.ones(len(frame), dtype=bool)
    keep[[position[b.row] for b in bad]] = False
    out_columns = result_columns(model)
    if not keep.any():
        return pd.DataFrame(columns=out_columns, index=frame.index[:0]), bad
    first, inverse = distinct_rows(codes[keep])
    patterns = codes[keep][first]
    probs, log_p, impossible = _posteriors(model, columns, patterns, memo)
    offsets = _offsets(model)
    rows = np.concatenate(
        [
            np.column_stack([1.0 - probs[:, i], probs[:, i + 1 : i + n]])
            if n > 2
            else 1.0 - probs[:, [i]]
            for i, n in offsets.values()
        ],
        axis=1,
    )
    floors = red_flag_floors(model.spec, columns, patterns)
    marginals = {c: probs[:, i : i + n] for c, (i, n) in offsets.items()}
    levels = triage_levels(model.spec, marginals, floors)
    result = pd.DataFrame(rows[inverse], columns=out_columns[:-2], index=frame.index[keep])
    result["triage"] = levels[inverse]
    result["log_evidence"] = log_p[inverse]
    if impossible:
        positions = np.flatnonzero(keep)
        dead = np.isin(inverse, list(impossible))
        bad += [
            BadRow(int(numbers[positions[i]]), impossible[inverse[i]], unit)
            for i in np.flatnonzero(dead)
        ]
        result = result[~dead]
        bad.sort(key=lambda b: b.row)
    return result, bad


def _offsets(model: PosteriorModel) -> dict[str, tuple[int, int]]:
    """Each cause's first column and number of states in the cause-state layout."""
    out, at = {}, 0
    for cause in model.spec.causes:
        out[cause.variable.id] = (at, len(cause.variable.states))
        at += len(cause.variable.states)
    return out


def _posteriors(
    model: BatchModel,
    columns: list[str],
    patterns: Codes,
    memo: dict[bytes, Scored] | None,
) -> tuple[Array, Array, dict[int, str]]:
    """Cause-state probabilities and log P(e) per pattern, and why impossible ones are."""
    kernel = model.quickscore
    n_states = sum(len(c.variable.states) for c in model.spec.causes)
    probs = np.full((len(patterns), n_states), np.nan)
    log_p = np.full(len(patterns), -np.inf)
    done = np.zeros(len(patterns), dtype=bool)
    if kernel is not None:
        full = np.full((len(patterns), len(kernel.variables)), -1, dtype=np.int16)
        full[:, [kernel.variables.index(c) for c in columns]] = patterns
        quick = kernel.posteriors(full)
        done = quick.ok
        probs[done], log_p[done] = quick.marginals[done], quick.log_evidence[done]
    impossible: dict[int, str] = {}
    memo = {} if memo is None else memo
    order = np.argsort(columns)  # memo keys must not depend on the column order of a file
    names = "|".join(columns[j] for j in order).encode()
    for k in np.flatnonzero(~done):
        key = names + patterns[k][order].tobytes()
        found = memo.get(key)
        if found is None:
            found = _score_one(model, columns, patterns[k])
            if len(memo) >= MEMO_SIZE:
                memo.pop(next(iter(memo)))
            memo[key] = found
        if isinstance(found, str):
            impossible[int(k)] = found
        else:
            probs[k], log_p[k] = found
    return probs, log_p, impossible


def _score_one(model: PosteriorModel, columns: list[str], pattern: Codes) -> Scored:
    """One evidence pattern by the model's engine, or why it is impossible."""
    evidence = {
        columns[j]: model.spec.variables[columns[j]].states[s]
        for j, s in enumerate(pattern.tolist())
        if s >= 0
    }
    log_p, conflict = model.log_evidence(evidence) if evidence else (0.0, [])
    if log_p == -np.inf:
        return impossible_message(conflict)
    marginals = model.marginals(model.spec.cause_ids, evidence)
    return np.concatenate([marginals[c] for c in model.spec.cause_ids]), log_p


def diagnose_frame(model: BatchModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Score every row or raise for the first bad one (see ``DiagnosticModel.diagnose_many``)."""
    result, bad = score(model, frame)
    if bad:
        raise EvidenceError(str(bad[0]))
    return result
