"""The enumeration engine against pgmpy's variable elimination, the reference.

At the shipped 20 causes pgmpy takes 0.1-1 s per query and enumeration 10-50 ms, so the
shipped-model checks here use few sets; ``test_noisyor.py`` checks the default engine
against this one on many.
"""

from __future__ import annotations

import dataclasses
import math
import random
import tracemalloc

import numpy as np
import pytest
from conftest import TINY

from model import DiagnosticModel, ImpossibleEvidenceError, load_model
from model.inference.enumeration import CHUNK_NUMBERS, EnumerationEngine
from model.inference.noisyor import NoisyOrEngine
from model.inference.pgmpy_adapter import VariableEliminationEngine, build_network
from model.priors.loader import load_spec
from model.priors.spec import Entry, ModelSpec, RiskFactor, Variable

TOL = 1e-9


def random_evidence(spec: ModelSpec, rng: random.Random, k: int) -> dict[str, str]:
    variables = list(spec.variables.values())
    return {v.id: rng.choice(v.states) for v in rng.sample(variables, min(k, len(variables)))}


def evidence_sets(spec: ModelSpec, n: int, seed: int) -> list[dict[str, str]]:
    """None, all, and partial evidence on every kind of variable."""
    rng = random.Random(seed)
    variables = spec.variables
    kinds = {
        kind: [v for v in variables.values() if v.kind == kind]
        for kind in ("risk_factor", "cause", "finding")
    }
    sets: list[dict[str, str]] = [{}, {v.id: rng.choice(v.states) for v in variables.values()}]
    for kind, vs in kinds.items():
        sets.append({v.id: rng.choice(v.states) for v in vs})
        sets.append({v.id: v.states[0] for v in vs})
        sets.append({vs[0].id: vs[0].states[-1]})
        if kind == "finding":
            sets.append({v.id: v.states[-1] for v in vs})
    while len(sets) < n:
        sets.append(random_evidence(spec, rng, rng.randint(1, len(variables))))
    return sets


def compare(
    spec: ModelSpec,
    sets: list[dict[str, str]],
    every: bool = False,
    chain_every: int = 1,
    chunk_numbers: int = CHUNK_NUMBERS,
) -> int:
    """Check every set (log P(e) by pgmpy's chain rule on every ``chain_every``-th one).

    Returns how many sets were possible.
    """
    fast = EnumerationEngine(spec, chunk_numbers=chunk_numbers)
    ref = VariableEliminationEngine(build_network(spec))
    all_vars = list(spec.variables)
    causes = [c.variable.id for c in spec.causes]
    possible = 0
    for i, ev in enumerate(sets):
        log_p, conflict = fast.log_evidence(ev)
        wanted = all_vars if every else causes
        if i % chain_every == 0 or log_p == -math.inf:
            ref_log_p, _ = ref.log_evidence(ev)
            if ref_log_p == -math.inf:
                assert log_p == -math.inf, ev
                assert conflict, ev
                continue
            assert log_p == pytest.approx(ref_log_p, abs=TOL), ev
        possible += 1
        got, want = fast.marginals(wanted, ev), ref.marginals(wanted, ev)
        for v in wanted:
            np.testing.assert_allclose(got[v], want[v], atol=TOL, rtol=0, err_msg=f"{v} | {ev}")
    return possible


def test_every_variable_on_structured_sets() -> None:
    spec = load_spec()
    assert compare(spec, evidence_sets(spec, 14, seed=1)[:1], every=True) >= 1


@pytest.mark.slow
def test_random_sets_on_the_shipped_model_agree_with_pgmpy() -> None:
    spec = load_spec()
    rng = random.Random(20261121)
    sets = evidence_sets(spec, 12, seed=2)
    sets += [random_evidence(spec, rng, rng.randint(1, 48)) for _ in range(12)]
    assert compare(spec, sets, chain_every=10) > 12


@pytest.mark.slow
def test_thousands_of_random_sets_on_the_tiny_network() -> None:
    spec = load_spec(TINY)
    assert compare(spec, evidence_sets(spec, 2000, seed=5), every=True) > 1000


def test_tiny_network_every_variable_and_impossible_evidence() -> None:
    spec = load_spec(TINY)
    sets = evidence_sets(spec, 200, seed=3) + [{"strain": "none", "snap": "yes"}]
    compare(spec, sets, every=True)
    fast = EnumerationEngine(spec)
    log_p, conflict = fast.log_evidence({"strain": "none", "snap": "yes", "trip": "no"})
    assert log_p == -math.inf
    assert conflict == ["strain=none", "snap=yes"]


def test_one_configuration_per_chunk_is_still_exact() -> None:
    """The running log scale across chunks: every chunk a single cause's states."""
    spec = load_spec(TINY)
    assert EnumerationEngine(spec, chunk_numbers=1)._chunk_size < EnumerationEngine(spec).n_configs
    sets = evidence_sets(spec, 200, seed=8) + [{"strain": "none", "snap": "yes"}]
    assert compare(spec, sets, every=True, chunk_numbers=1) > 100


def assert_after_equals_single_queries(
    engine: EnumerationEngine | NoisyOrEngine,
    causes: list[str],
    answers: list[tuple[str, str]],
    evidence: dict[str, str],
) -> int:
    """``marginals_after`` equals one ``marginals`` query per answer; returns the NaN answers."""
    got = engine.marginals_after(causes, answers, evidence)
    assert list(got) == answers
    impossible = 0
    for v, s in answers:
        alone = engine.marginals(causes, {**evidence, v: s})
        impossible += bool(np.isnan(alone[causes[0]]).any())
        for c in causes:
            np.testing.assert_allclose(got[v, s][c], alone[c], rtol=0, atol=1e-12, equal_nan=True)
    return impossible


@pytest.mark.parametrize("chunk_numbers", [CHUNK_NUMBERS, 1])
def test_causes_after_each_answer_equal_one_query_each_on_the_tiny_network(
    chunk_numbers: int,
) -> None:
    """One pass weighs every finding's answers (also across single-configuration chunks,
    where the chunk's head causes take the sums), risk factors and causes their own pass;
    an answer the evidence rules out is NaN, as its own query is."""
    spec = load_spec(TINY)
    engine = EnumerationEngine(spec, chunk_numbers=chunk_numbers)
    causes = [c.variable.id for c in spec.causes]
    impossible = 0
    sets = evidence_sets(spec, 60, seed=11) + [{"strain": "none"}, {"strain": "mild", "trip": "no"}]
    for ev in sets:
        answers = [(v, s) for v, var in spec.variables.items() if v not in ev for s in var.states]
        impossible += assert_after_equals_single_queries(engine, causes, answers, ev)
    assert impossible > 0  # "snap" has no leak: snap=yes is impossible once strain is known mild


@pytest.mark.parametrize("kind", ["enumeration", "fast"])
def test_causes_after_each_answer_equal_one_query_each_on_the_shipped_model(kind: str) -> None:
    """Both engines, with and without a duration answer (which sends every query of the
    default engine to enumeration), for every unanswered variable's every state."""
    spec = load_spec()
    engine = EnumerationEngine(spec) if kind == "enumeration" else NoisyOrEngine(spec)
    causes = [c.variable.id for c in spec.causes]
    for ev in (
        {"one_leg_swelling": "yes", "calf_pain_presentation": "yes"},
        {"symptom_duration": "days", "age_group": "45_to_59", "calf_pain_presentation": "yes"},
    ):
        answers = [
            (v, s)
            for v, var in spec.variables.items()
            if var.kind != "cause" and v not in ev
            for s in var.states
        ]
        assert assert_after_equals_single_queries(engine, causes, answers, ev) == 0


# the shipped evidence that sent the fast engine to enumeration in bench/bench_engines.py
# (set 48 of its shipped sets): eight positive findings besides the complaint
FALLBACK = {
    "prior_calf_injury": "no", "one_leg_swelling": "no", "numbness_tingling": "yes",
    "both_legs": "yes", "pain_not_eased_by_stretch": "yes", "exercise_timed_pain": "no",
    "symptom_duration": "months", "active_cancer": "no", "hard_surfaces": "no",
    "hydration": "poor", "vascular_risk": "yes", "pitting_oedema": "no",
    "footwear": "worn_or_unsuitable", "back_pain_radiating": "yes", "tense_swollen_calf": "yes",
    "foot_drop": "yes", "calf_pain_presentation": "yes",
}  # fmt: skip


@pytest.mark.parametrize("chunk_numbers", [CHUNK_NUMBERS, CHUNK_NUMBERS // 4])
def test_a_query_works_in_a_few_chunks_of_memory(chunk_numbers: int) -> None:
    """A query's peak is a few chunks (2 MB each) of ``W``, never the 16 MB of all of it.

    Measured after a first query, so the component blocks (memoised per risk-factor
    pattern, bounded by ``CACHE_NUMBERS``) and the findings' prepared factors are there.
    """
    spec = load_spec()
    engine = EnumerationEngine(spec, chunk_numbers=chunk_numbers)
    assert engine._chunk_size <= chunk_numbers < engine.n_configs
    wanted = [*spec.cause_ids, *(f for f in engine.findings if f not in FALLBACK)]
    first = engine.marginals(wanted, FALLBACK)
    engine._sums.clear()
    tracemalloc.start()
    try:
        again = engine.marginals(wanted, FALLBACK)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # six chunks of float64 (the chunk, a factor's slice being written, products beside
    # them; about four measured) and 1 MB of vectors; the whole W alone is 8 N bytes
    bound = 6 * 8 * chunk_numbers + 2**20
    assert bound < 8 * engine.n_configs  # the premise: less than the whole W would take
    assert peak <= bound
    assert all(np.array_equal(first[v], again[v]) for v in wanted)
    if chunk_numbers != CHUNK_NUMBERS:  # the same answers from chunks of another size
        default = EnumerationEngine(spec).marginals(wanted, FALLBACK)
        for v in wanted:
            np.testing.assert_allclose(again[v], default[v], atol=1e-12, rtol=0, err_msg=v)


def test_impossible_evidence_is_refused_by_diagnose() -> None:
    tiny = load_model(TINY)
    with pytest.raises(ImpossibleEvidenceError, match="strain=none with snap=yes"):
        tiny.diagnose({"strain": "none", "snap": "yes"})


@pytest.mark.parametrize("limit", [{"max_configs": 4}])  # big component tables are built on the fly
def test_falls_back_to_pgmpy_beyond_its_limits(limit: dict[str, int]) -> None:
    spec = load_spec(TINY)
    small = EnumerationEngine(spec, **limit)
    assert small.too_large
    assert "pgmpy fallback" in repr(small)
    full = EnumerationEngine(spec)
    for ev in evidence_sets(spec, 30, seed=4):
        a, b = small.log_evidence(ev), full.log_evidence(ev)
        assert a[0] == pytest.approx(b[0], abs=TOL)
        if a[0] > -math.inf:
            got, want = (
                small.marginals(list(spec.variables), ev),
                full.marginals(list(spec.variables), ev),
            )
            for v in got:
                np.testing.assert_allclose(got[v], want[v], atol=TOL)
            causes = [c.variable.id for c in spec.causes]
            answers = [
                (v, x.states[-1])
                for v, x in spec.variables.items()
                if v not in ev and full.log_evidence({**ev, v: x.states[-1]})[0] > -math.inf
            ]  # pgmpy gives no NaN for an impossible answer, but ranking never asks one
            after = small.marginals_after(causes, answers, ev)
            for a, posts in full.marginals_after(causes, answers, ev).items():
                for c in causes:
                    np.testing.assert_allclose(after[a][c], posts[c], atol=TOL)


def test_model_uses_the_fast_engine_and_keeps_pgmpy_as_reference() -> None:
    spec = load_spec()
    fast = DiagnosticModel(spec)
    assert isinstance(getattr(fast.engine, "inner", fast.engine), NoisyOrEngine)
    assert "network" not in fast.__dict__  # built lazily
    slow = DiagnosticModel(spec, engine="pgmpy")
    assert isinstance(getattr(slow.engine, "inner", slow.engine), VariableEliminationEngine)
    ev = {"one_leg_swelling": "yes", "age_group": "45_to_59"}
    assert fast.diagnose(ev).probability("dvt") == pytest.approx(
        slow.diagnose(ev).probability("dvt"), abs=TOL
    )
    with pytest.raises(ValueError, match="valid: fast, enumeration, pgmpy"):
        DiagnosticModel(spec, engine="magic")  # type: ignore[arg-type]


def test_with_values_updates_without_pgmpy() -> None:
    m = load_model()
    changed = m.with_values({"causes:dvt.prevalence": 0.02})
    assert "network" not in changed.__dict__ and "pgmpy" not in type(changed.engine).__module__
    assert changed.priors["dvt"].probability > m.priors["dvt"].probability
    fresh = DiagnosticModel(m.spec.with_values({"causes:dvt.prevalence": 0.02}))
    assert changed.priors["dvt"].probability == fresh.priors["dvt"].probability  # update = rebuild


def test_a_risk_factor_without_children() -> None:
    spec = load_spec(TINY)
    lonely = RiskFactor(
        Variable("lonely", "risk_factor", ("a", "b", "c"), "Lonely"),
        tuple(
            Entry(f"lonely.{s}", p, 0.0, 1.0, ("made_up_2020",))
            for s, p in (("a", 0.5), ("b", 0.3), ("c", 0.2))
        ),
    )
    spec = dataclasses.replace(spec, risk_factors=(*spec.risk_factors, lonely))
    compare(spec, evidence_sets(spec, 60, seed=6), every=True)


KINDS = ("prevalence", "baseline", "odds_ratios", "leak", "findings:", "table", "triage:")


def kind_keys(spec: ModelSpec) -> dict[str, list[str]]:
    """The entry keys of each kind of number (prevalences, baselines, ..., thresholds)."""
    out: dict[str, list[str]] = {}
    for key in spec.entries:
        kind = next(k for k in KINDS if k in key or (k == "findings:" and key.startswith(k)))
        out.setdefault(kind, []).append(key)
    return out


def random_change(spec: ModelSpec, rng: random.Random, n_keys: int) -> dict[str, float]:
    """New values, within their ranges, for ``n_keys`` keys of random kinds."""
    groups = kind_keys(spec)
    keys = {rng.choice(groups[rng.choice(sorted(groups))]) for _ in range(n_keys)}
    # at most one prevalence per risk factor, so the others can absorb the change
    by_node = {k.split(".")[0] if "prevalence" in k else k: k for k in sorted(keys)}
    entries = spec.entries
    return {k: rng.uniform(entries[k].low, entries[k].high) for k in by_node.values()}


def assert_same_engine(
    updated: EnumerationEngine, fresh: EnumerationEngine, sets: list[dict[str, str]]
) -> None:
    """The same log P(e) and cause marginals on every set, and every variable on the first.

    A stale table would show in the causes' marginals and in P(e); each risk factor's
    marginal costs one joint per state (2^21 numbers on the shipped model), so only the
    first possible set asks for them.
    """
    every = list(fresh.spec.variables)
    first = True
    for ev in sets:
        a, b = updated.log_evidence(ev), fresh.log_evidence(ev)
        assert a[1] == b[1]
        assert a[0] == b[0] or abs(a[0] - b[0]) < 1e-12, ev
        if a[0] == -math.inf:
            continue
        variables = every if first else list(fresh.causes)
        first = False
        ma, mb = updated.marginals(variables, ev), fresh.marginals(variables, ev)
        for v in variables:
            np.testing.assert_allclose(ma[v], mb[v], rtol=0.0, atol=1e-12, err_msg=v)


@pytest.mark.parametrize("where", ["shipped", "tiny"])
def test_incremental_rebuild_equals_a_fresh_build(where: str) -> None:
    spec = load_spec() if where == "shipped" else load_spec(TINY)
    rng = random.Random(11)
    engine = EnumerationEngine(spec)
    steps = 6 if where == "shipped" else 80
    for step in range(steps):
        sets = [random_evidence(spec, rng, rng.randint(0, 8)) for _ in range(3)]
        for ev in sets:  # fill the old engine's memo: the update must not reuse stale blocks
            engine.marginals(engine.causes, ev)
        spec = spec.with_values(random_change(spec, rng, 1 if step % 2 else rng.randint(2, 6)))
        engine = EnumerationEngine(spec, previous=engine)  # a chain of updates
        assert_same_engine(engine, EnumerationEngine(spec), sets)


def test_every_kind_of_number_is_updated_exactly() -> None:
    spec = load_spec()
    rng = random.Random(12)
    base = EnumerationEngine(spec)
    sets = evidence_sets(spec, 12, seed=12)[:4]
    for kind, keys in kind_keys(spec).items():
        for key in rng.sample(keys, 1):
            entry = spec.entries[key]
            changed = spec.with_values({key: (entry.low + entry.high) / 2 + 1e-3 * entry.high})
            (
                assert_same_engine(
                    EnumerationEngine(changed, previous=base), EnumerationEngine(changed), sets
                ),
                kind,
            )


def test_an_update_reuses_what_its_change_does_not_touch() -> None:
    spec = load_spec()
    base = EnumerationEngine(spec)
    base.marginals(["dvt"], {"one_leg_swelling": "yes", "bruising": "no"})
    same = EnumerationEngine(spec.with_values({"triage:rule.dvt.threshold": 0.5}), previous=base)
    assert all(a is b for a, b in zip(same.components, base.components, strict=True))
    assert same.hubs is base.hubs
    yes = ("one_leg_swelling", 1)
    assert same._findings[yes] is base._findings[yes]
    assert same._rank_one["bruising"] is base._rank_one["bruising"]
    link = next(k for k in spec.entries if k.startswith("findings:one_leg_swelling.causes"))
    linked = EnumerationEngine(spec.with_values({link: 0.123}), previous=base)
    assert yes not in linked._findings and "bruising" in linked._rank_one
    assert not any("table" in c.__dict__ for c in base.components)  # built on first need
    risk = {"footwear": "worn_or_unsuitable", "diabetes": "yes"}
    base.marginals(["dvt"], risk)
    needing = [c for c in base.components if set(c.risk_factors) & set(risk)]  # hubs are apart
    assert needing and [("table" in c.__dict__) for c in base.components] == [
        c in needing for c in base.components
    ]
    prevalence = "risk_factors:footwear.prevalence.worn_or_unsuitable"
    moved = EnumerationEngine(spec.with_values({prevalence: 0.37}), previous=base)
    fresh = EnumerationEngine(spec.with_values({prevalence: 0.37}))
    # with a presenting complaint a prevalence moves the solved baselines, so every cause
    # table changes and nothing may be reused; without one the joint tables are kept
    assert_same_engine(moved, fresh, evidence_sets(spec, 5, seed=4))
    other = EnumerationEngine(load_spec(), previous=EnumerationEngine(load_spec(TINY)))
    assert_same_engine(other, EnumerationEngine(load_spec()), evidence_sets(spec, 10, seed=3))


@pytest.mark.parametrize("limit", [{"max_configs": 2}])
def test_an_update_beyond_the_limits_still_falls_back(limit: dict[str, int]) -> None:
    spec = load_spec(TINY)
    small = EnumerationEngine(spec, **limit)
    key = next(iter(spec.entries))
    changed = spec.with_values({key: spec.entries[key].high})
    updated = EnumerationEngine(changed, previous=small, **limit)
    assert updated.too_large
    assert EnumerationEngine(changed, previous=small).too_large is False  # other limits
    model = DiagnosticModel(spec, engine="pgmpy").with_values({key: spec.entries[key].high})
    assert model.engine_name == "pgmpy"
    assert isinstance(model.engine, VariableEliminationEngine)
    ev = {"swelling": "yes"}
    fresh = EnumerationEngine(changed).marginals(["clot"], ev)["clot"]
    np.testing.assert_allclose(updated.marginals(["clot"], ev)["clot"], fresh, atol=1e-9)
