"""The vectorised Quickscore kernel against the enumeration engine, and its guards.

The kernel does not yet take a presenting-complaint node or a many-state finding, so the
shipped priors get none (batch scoring then goes case by case); it is checked here on the
shipped network with those two removed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from model import DiagnosticModel
from model.evidence import contradiction
from model.inference.quickscore import MAX_TERMS, QuickscoreKernel

Codes = np.ndarray


def random_codes(kernel: QuickscoreKernel, n: int, seed: int) -> Codes:
    """Cases with most risk factors answered, findings mostly 'no', a few causes known."""
    rng = np.random.default_rng(seed)
    out = np.full((n, len(kernel.variables)), -1, dtype=np.int16)
    for j, var in enumerate(kernel.variables):
        card = len(kernel.states[var])
        if var in kernel.risk_factors:
            seen = rng.random(n) < 0.85
        elif var in kernel.causes:
            seen = rng.random(n) < 0.03
        else:
            seen = rng.random(n) < 0.6
        states = rng.integers(0, card, n)
        if var in kernel.findings:
            states = (rng.random(n) < 0.1).astype(int)  # two or three positives, as in practice
        out[seen, j] = states[seen]
    return out


def evidence_of(kernel: QuickscoreKernel, row: Codes) -> dict[str, str]:
    return {
        v: kernel.states[v][c]
        for v, c in zip(kernel.variables, row.tolist(), strict=True)
        if c >= 0
    }


@pytest.fixture(scope="module")
def plain(model: DiagnosticModel) -> DiagnosticModel:
    """The shipped network without the complaint node and the many-state finding."""
    return DiagnosticModel(dataclasses.replace(model.spec, presentation=None, categorical=()))


@pytest.fixture(scope="module")
def kernel(plain: DiagnosticModel) -> QuickscoreKernel:
    assert plain.quickscore is not None
    return plain.quickscore


def test_the_shipped_priors_get_no_kernel_yet(model: DiagnosticModel) -> None:
    assert model.spec.presentation is not None
    assert model.quickscore is None


def test_agrees_with_enumeration_to_1e9(plain: DiagnosticModel, kernel: QuickscoreKernel) -> None:
    codes = random_codes(kernel, 400, seed=7)
    out = kernel.posteriors(codes)
    assert out.ok.mean() > 0.5, "the kernel should take most such cases"
    checked = 0
    for i in np.flatnonzero(out.ok):
        evidence = evidence_of(kernel, codes[i])
        log_p, _ = plain.engine.log_evidence(evidence)
        if log_p == -np.inf:
            pytest.fail(f"kernel scored an impossible case: {evidence}")
        exact = plain.engine.marginals(kernel.causes, evidence)
        assert (
            np.abs(np.concatenate([exact[c] for c in kernel.causes]) - out.marginals[i]).max()
            < 1e-9
        )
        assert out.log_evidence[i] == pytest.approx(log_p, abs=1e-9)
        checked += 1
    assert checked > 200


def test_rows_sum_to_one_per_cause(kernel: QuickscoreKernel) -> None:
    out = kernel.posteriors(random_codes(kernel, 200, seed=8))
    m = out.marginals[out.ok]
    for cause in kernel.causes:
        cols = [i for i, c in enumerate(kernel.columns) if c.split("=")[0] == cause]
        assert np.allclose(m[:, cols].sum(axis=1), 1.0, atol=1e-12)


def test_declines_costly_and_ill_conditioned_cases(
    kernel: QuickscoreKernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = np.full((3, len(kernel.variables)), -1, dtype=np.int16)
    n_rf = len(kernel.risk_factors)
    codes[1:, :n_rf] = 0
    codes[1, n_rf + len(kernel.causes) :] = 1  # every finding yes: 2^22 terms
    codes[2, [kernel.variables.index(f) for f in ("palpable_gap", "morning_heel_pain")]] = 1
    codes[2, [kernel.variables.index(f) for f in ("numbness_tingling", "inner_shin_pain")]] = 1
    out = kernel.posteriors(codes)
    # nothing answered: 12,288 risk-factor assignments; all yes: too many terms
    assert not out.ok[0] and not out.ok[1]
    assert np.isnan(out.marginals[:2]).all()
    # four mutually unlikely findings: cancellation beyond MAX_KAPPA, left to enumeration
    assert not out.ok[2]
    assert 16 <= MAX_TERMS
    monkeypatch.setattr("model.inference.quickscore.MAX_KAPPA", np.inf)
    assert kernel.posteriors(codes).ok.tolist() == [False, False, True]


def test_no_kernel_when_a_finding_is_certain(plain: DiagnosticModel) -> None:
    assert QuickscoreKernel.build(plain.spec) is not None
    spec = plain.spec.with_values({"findings:palpable_gap.causes.achilles_rupture": 1.0})
    assert QuickscoreKernel.build(spec) is None


def test_batch_is_the_same_with_and_without_the_kernel(
    plain: DiagnosticModel, kernel: QuickscoreKernel
) -> None:
    codes = random_codes(kernel, 300, seed=9)
    frame = pd.DataFrame(
        {
            v: [kernel.states[v][c] if c >= 0 else None for c in codes[:, j]]
            for j, v in enumerate(kernel.variables)
        }
    )
    # rows whose answers rule each other out are refused by both, before any engine
    ok = [
        contradiction(plain.spec.exclusions, r.dropna().to_dict()) is None
        for _, r in frame.iterrows()
    ]
    frame = frame[ok].reset_index(drop=True)
    with_kernel = plain.diagnose_many(frame)
    slow = DiagnosticModel(plain.spec)
    slow.__dict__["quickscore"] = None  # the cached property, switched off
    without = slow.diagnose_many(frame)
    assert list(with_kernel.index) == list(without.index)
    numbers = [c for c in with_kernel.columns if c != "triage"]
    assert np.abs(with_kernel[numbers].to_numpy() - without[numbers].to_numpy()).max() < 1e-9
    assert (with_kernel["triage"] == without["triage"]).all()


def test_chunking_does_not_change_answers(
    kernel: QuickscoreKernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = random_codes(kernel, 300, seed=10)
    whole = kernel.posteriors(codes)
    monkeypatch.setattr("model.inference.quickscore.CHUNK_ROWS", 37)  # many chunks, cut mid-way
    parts = kernel.posteriors(codes)
    assert (whole.ok == parts.ok).all() and whole.ok.any()
    # the same sums; BLAS blocking of a chunk's matrix product may move a last bit, which
    # the signed sum amplifies by up to MAX_KAPPA (measured: 8e-12)
    assert np.abs(whole.marginals[whole.ok] - parts.marginals[parts.ok]).max() < 1e-10
