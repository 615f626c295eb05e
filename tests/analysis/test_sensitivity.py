"""Sensitivity analysis: invariants on the tiny network, a few spot checks on the shipped one."""

from __future__ import annotations

import numpy as np
import pytest

from model import DiagnosticModel, UnknownCauseError
from model.analysis.sensitivity import (
    Swing,
    draw_values,
    flips_frame,
    one_way,
    propagate,
    red_flag_influence,
    robustness,
    sensitivity_function,
    targets,
    tornado_frame,
)

# Only the clot rule fires here (P(clot) = 0.11 against a 0.10 threshold): a fragile call.
FRAGILE = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
SCENARIOS = [{}, FRAGILE, {"trip": "yes", "swelling": "yes"}, {"age": "old", "snap": "no"}]


def _posterior(model: DiagnosticModel, evidence: dict[str, str], target: str) -> float:
    cause, _, state = target.partition(".")
    return model.diagnose(evidence).probability(cause, state or None)


@pytest.mark.parametrize("evidence", SCENARIOS)
@pytest.mark.parametrize("target", ["clot", "strain", "strain.severe", "bump"])
def test_one_way_invariants(tiny: DiagnosticModel, evidence: dict[str, str], target: str) -> None:
    swings = one_way(tiny, evidence, target)
    assert len(swings) == len(tiny.spec.entries)
    assert all(s.swing >= 0.0 for s in swings)
    assert [s.swing for s in swings] == sorted((s.swing for s in swings), reverse=True)
    point = _posterior(tiny, evidence, target)
    assert all(s.p_value == pytest.approx(point, abs=1e-12) for s in swings)


@pytest.mark.parametrize("end", ["low", "high"])
def test_one_way_ends_match_diagnose(tiny: DiagnosticModel, end: str) -> None:
    for s in one_way(tiny, FRAGILE, "clot")[:6]:
        x = getattr(s, end)
        d = tiny.with_values({s.key: x}).diagnose(FRAGILE)
        # a threshold moves no posterior, but the triage follows it
        assert getattr(s, f"p_{end}") == pytest.approx(d.probability("clot"), abs=1e-12)
        assert getattr(s, f"triage_{end}") == d.triage.level


def test_pruned_parameters_really_do_not_move(tiny: DiagnosticModel) -> None:
    """Unobserved findings' numbers and observed risk factors' prevalences are skipped: check."""
    evidence = {"trip": "yes", "swelling": "yes"}
    skipped = ['findings:snap.causes."strain.severe"', "risk_factors:trip.prevalence.yes"]
    for s in one_way(tiny, evidence, "strain", skipped):
        assert s.swing == 0.0
        direct = _posterior(tiny.with_values({s.key: s.high}), evidence, "strain")
        assert direct == pytest.approx(s.p_value, abs=1e-12)


def test_tornado_frame(tiny: DiagnosticModel) -> None:
    frame = tornado_frame(one_way(tiny, FRAGILE, "clot"))
    assert frame.index[0] == "causes:clot.baseline"
    assert {"p_low", "p_high", "swing", "triage_low", "triage_high", "sources"} <= set(frame)
    assert tornado_frame([]).empty


@pytest.mark.parametrize(
    ("target", "parameters", "error", "message"),
    [
        ("clott", None, UnknownCauseError, "unknown cause 'clott'.*did you mean 'clot'"),
        ("strain.grade_9", None, UnknownCauseError, "unknown state 'grade_9' for strain"),
        (
            "clot",
            ["causes:clot.basline"],
            KeyError,
            "unknown parameter 'causes:clot.basline' .did you mean 'causes:clot.baseline'",
        ),
    ],
)
def test_one_way_errors(
    tiny: DiagnosticModel,
    target: str,
    parameters: list[str] | None,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        one_way(tiny, {}, target, parameters)


def test_targets(tiny: DiagnosticModel) -> None:
    assert targets(tiny) == ["clot", "strain", "strain.mild", "strain.severe", "bump"]


def test_swing_repr() -> None:
    s = Swing("k", 0.5, 0.2, 0.8, 0.3, 0.1, 0.4, "self_care", "urgent", ("a",))
    assert repr(s) == "Swing(k: 0.100 .. 0.400)"
    assert s.swing == pytest.approx(0.3)


# --- sensitivity functions ---------------------------------------------------------------

EXACT_KEYS = [
    "findings:swelling.causes.clot",
    'findings:swelling.causes."strain.severe"',
    "risk_factors:age.prevalence.old",
    "risk_factors:trip.prevalence.no",
    "causes:bump.table.rows.no",
]
OPEN = {"swelling": "yes", "snap": "no"}  # risk factors unobserved, so their numbers count


@pytest.mark.parametrize("key", EXACT_KEYS)
@pytest.mark.parametrize("target", ["clot", "strain.mild", "bump"])
def test_sensitivity_function_is_exact(tiny: DiagnosticModel, key: str, target: str) -> None:
    f = sensitivity_function(tiny, OPEN, target, key)
    assert f.method == "ratio_of_linear" and f.exact
    entry = tiny.spec.entries[key]
    rng = np.random.default_rng(len(key) + len(target))
    for x in rng.uniform(entry.low, entry.high, size=3):
        direct = _posterior(tiny.with_values({key: float(x)}), OPEN, target)
        assert float(f(float(x))) == pytest.approx(direct, abs=1e-9)


@pytest.mark.parametrize(
    "key",
    ["causes:clot.baseline", 'causes:clot.odds_ratios."trip.yes"', "findings:swelling.leak"],
)
def test_nonlinear_parameters_are_interpolated_exactly_at_nodes(
    tiny: DiagnosticModel, key: str
) -> None:
    f = sensitivity_function(tiny, FRAGILE, "clot", key, points=5)
    assert f.method == "interpolated" and not f.exact
    for x, y in zip(f.xs, f.ys, strict=True):
        assert float(f(x)) == pytest.approx(y, abs=1e-12)
        assert _posterior(tiny.with_values({key: x}), FRAGILE, "clot") == pytest.approx(
            y, abs=1e-12
        )
    mid = 0.5 * (f.xs[1] + f.xs[2])
    direct = _posterior(tiny.with_values({key: mid}), FRAGILE, "clot")
    assert float(f(mid)) == pytest.approx(direct, abs=5e-3)  # an approximation between nodes


@pytest.mark.parametrize(
    "key", ["triage:rule.clot.threshold", "findings:snap.leak", "risk_factors:trip.prevalence.no"]
)
def test_constant_sensitivity_functions(tiny: DiagnosticModel, key: str) -> None:
    f = sensitivity_function(tiny, {"trip": "no", "swelling": "yes"}, "clot", key)
    assert f.method == "constant" and f.exact
    point = _posterior(tiny, {"trip": "no", "swelling": "yes"}, "clot")
    assert np.allclose(f(np.array([0.0, 0.5])), point)


def test_sensitivity_function_on_shipped_model(model: DiagnosticModel) -> None:
    evidence = {"one_leg_swelling": "yes", "recent_immobility": "yes"}
    key = "findings:one_leg_swelling.causes.dvt"
    f = sensitivity_function(model, evidence, "dvt", key)
    entry = model.spec.entries[key]
    x = 0.3 * entry.low + 0.7 * entry.high
    direct = model.with_values({key: x}).diagnose(evidence).probability("dvt")
    assert float(f(x)) == pytest.approx(direct, abs=1e-9)


# --- propagation -------------------------------------------------------------------------


def test_propagate_is_reproducible(tiny: DiagnosticModel) -> None:
    a = propagate(tiny, FRAGILE, draws=15, seed=3)
    b = propagate(tiny, FRAGILE, draws=15, seed=3)
    c = propagate(tiny, FRAGILE, draws=15, seed=4)
    assert np.array_equal(a.samples, b.samples) and a.levels == b.levels
    assert not np.array_equal(a.samples, c.samples)


def test_propagate_intervals_contain_point(tiny: DiagnosticModel) -> None:
    u = propagate(tiny, FRAGILE, draws=40, seed=0)
    frame = u.to_frame()
    assert list(frame.index) == targets(tiny)
    inside = (frame["q05"] <= frame["point"]) & (frame["point"] <= frame["q95"])
    assert inside.mean() >= 0.6, frame
    assert (frame["q05"] <= frame["median"]).all() and (frame["median"] <= frame["q95"]).all()
    assert 0.0 <= u.triage_changed <= 1.0
    assert sum(u.level_counts.values()) == 40
    assert u.point_level == tiny.diagnose(FRAGILE).triage.level


def test_draws_respect_the_spec(tiny: DiagnosticModel) -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        values = draw_values(tiny, rng)
        tiny.spec.with_values(values)  # every constraint of the spec holds
        assert values["findings:snap.leak"] == 0.0  # a fixed number stays fixed
    fixed = draw_values(tiny, rng, thresholds=False)
    assert fixed["triage:rule.clot.threshold"] == 0.1


def test_draws_match_the_ranges(model: DiagnosticModel) -> None:
    """Over many draws, about 90% of each number falls in its range (loosely: best fit)."""
    rng = np.random.default_rng(1)
    spec = model.spec
    keys = ["causes:dvt.prevalence", 'causes:dvt.odds_ratios."recent_immobility.yes"']
    draws = [draw_values(model, rng) for _ in range(300)]
    for key in keys:
        e = spec.entries[key]
        xs = np.array([d[key] for d in draws])
        share = np.mean((xs >= e.low) & (xs <= e.high))
        assert 0.75 <= share <= 0.98, (key, share)


# --- robustness --------------------------------------------------------------------------


def _fires(model: DiagnosticModel, evidence: dict[str, str], rule: str) -> bool:
    (r,) = [r for r in model.spec.rules if r.target == rule]
    d = model.diagnose(evidence)
    states = model.variables[r.cause].states
    p = sum(d.probability(r.cause, s) for s in states[states.index(r.state) :])
    return p >= r.threshold.value


@pytest.mark.parametrize("evidence", [FRAGILE, {"age": "old", "swelling": "yes"}])
def test_robustness_flip_values_flip(tiny: DiagnosticModel, evidence: dict[str, str]) -> None:
    before = tiny.diagnose(evidence).triage.level
    flips = robustness(tiny, evidence)
    assert flips
    assert [f.distance for f in flips] == sorted(f.distance for f in flips)
    for f in flips:
        assert f.level_before == before
        assert 0.0 <= f.distance <= 1.0 and f.low <= f.flip_at <= f.high
        moved = tiny.with_values({f.key: f.flip_at})
        assert _fires(moved, evidence, f.rule) != f.fired_before
        assert moved.diagnose(evidence).triage.level == f.level_after
        # just inside the flip point, the rule has not flipped yet
        step = 1e-3 * (f.high - f.low) * np.sign(f.value - f.flip_at)
        near = tiny.with_values({f.key: f.flip_at + step})
        assert _fires(near, evidence, f.rule) == f.fired_before
    assert list(flips_frame(flips)["key"]) == [f.key for f in flips]


def test_robustness_fragile_clot_call(tiny: DiagnosticModel) -> None:
    flips = [f for f in robustness(tiny, FRAGILE) if f.rule == "clot"]
    assert {f.key for f in flips} >= {"causes:clot.baseline", "triage:rule.clot.threshold"}
    assert all(f.changes_level and f.level_after == "self_care" for f in flips)


def test_robust_scenario_has_no_flips(tiny: DiagnosticModel) -> None:
    assert robustness(tiny, {"swelling": "no", "snap": "no"}) == []


def test_red_flag_influence_agrees_with_robustness(tiny: DiagnosticModel) -> None:
    frame = red_flag_influence(tiny, FRAGILE)
    assert set(frame["rule"]) == {"clot", "strain.severe"}
    assert (frame["influence"] >= 0).all() and (frame["reach"] >= 0).all()
    assert list(frame["reach"]) == sorted(frame["reach"], reverse=True)
    flagged = {(r.rule, r.key) for r in frame.itertuples() if r.flips}
    assert flagged == {(r.rule, r.key) for r in frame.itertuples() if r.reach >= 1.0}
    assert flagged == {(f.rule, f.key) for f in robustness(tiny, FRAGILE)}
