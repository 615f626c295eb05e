"""The model's implied sensitivity and specificity match the studies its numbers came from."""

from __future__ import annotations

import pytest
from brute import brute_force
from paths import TINY

from model import DiagnosticModel, load_model

SHIPPED = load_model().spec.accuracy


def implied(m: DiagnosticModel, finding: str, cause: str) -> tuple[float, float]:
    """P(finding | cause present), P(no finding | cause absent), with no other evidence."""
    states = m.variables[cause].states
    present = [s for s in states[1:]]
    sens_num = sum(
        m.engine.marginals([finding], {cause: s})[finding][1] * m.priors[cause].states[s]
        for s in present
    )
    sens = sens_num / m.priors[cause].probability
    spec = m.engine.marginals([finding], {cause: states[0]})[finding][0]
    return float(sens), float(spec)


def test_shipped_priors_state_published_accuracies() -> None:
    pairs = {(a.finding, a.cause) for a in SHIPPED}
    assert ("weak_push_off", "achilles_rupture") in pairs
    assert ("palpable_gap", "achilles_rupture") in pairs


@pytest.mark.parametrize("acc", SHIPPED, ids=[f"{a.finding}-{a.cause}" for a in SHIPPED])
def test_implied_accuracy_within_reported_range(model: DiagnosticModel, acc) -> None:  # type: ignore[no-untyped-def]
    sens, spec = implied(model, acc.finding, acc.cause)
    s, p = acc.sensitivity, acc.specificity
    assert s.low <= sens <= s.high, (
        f"sensitivity {sens:.3f} outside [{s.low}, {s.high}] ({s.sources})"
    )
    assert p.low <= spec <= p.high, (
        f"specificity {spec:.3f} outside [{p.low}, {p.high}] ({p.sources})"
    )
    lr = sens / (1 - spec)
    reported = s.value / (1 - p.value)
    lr_low, lr_high = s.low / (1 - p.low), s.high / (1 - min(p.high, 0.999))
    assert lr_low <= lr <= lr_high, f"LR+ {lr:.1f} vs reported {reported:.1f}"


def test_implied_accuracy_on_tiny_is_exact() -> None:
    tiny = load_model(TINY)
    sens, spec = implied(tiny, "swelling", "clot")
    assert sens == pytest.approx(brute_force(tiny, {"clot": "present"})["swelling"][1], abs=1e-12)
    assert spec == pytest.approx(brute_force(tiny, {"clot": "absent"})["swelling"][0], abs=1e-12)
