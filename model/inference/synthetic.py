"""Random noisy-OR networks shaped like the calf model, as a ``ModelSpec`` (tests and bench).

``random_spec(n_causes, seed)`` draws risk factors (two multi-state "hub" ones such as age
and training load, the rest binary), causes that are logistic in one to four risk
factors (one graded cause with four states, and cause-to-cause edges), and about 1.6
findings per cause, each a leaky noisy-OR (noisy-MAX for the graded cause) of two to
eight causes with small leaks, as in the shipped priors. ``interactions=True`` gives about
half the causes with two or more risk factors an interaction term on their first two (as
the shipped model's cycling-by-age terms); without it the draws are those of before.

>>> spec = random_spec(20, seed=1)
>>> len(spec.causes), len(spec.findings), spec.causes[0].variable.states
(20, 32, ('none', 'grade_1', 'grade_2', 'grade_3'))
>>> spec = random_spec(14, seed=4, interactions=True)
>>> sum(bool(o.also) for c in spec.causes for o in c.odds_ratios)
8
"""

from __future__ import annotations

import random

from model.priors.spec import (
    BINARY_CAUSE_STATES,
    FINDING_STATES,
    Cause,
    Entry,
    Finding,
    Link,
    ModelSpec,
    OddsRatio,
    RiskFactor,
    Variable,
)

GRADES = ("none", "grade_1", "grade_2", "grade_3")


def _entry(key: str, value: float, kind: str = "probability") -> Entry:  # noqa: D103
    lo, hi = (
        (value * 0.5, min(1.0, value * 1.5)) if kind == "probability" else (value / 2, value * 2)
    )
    return Entry(key, value, lo, hi, ("synthetic",), kind=kind)  # type: ignore[arg-type]


def random_spec(
    n_causes: int, seed: int = 0, findings_per_cause: float = 1.6, interactions: bool = False
) -> ModelSpec:
    """A random network of ``n_causes`` causes (see the module doc)."""
    rng = random.Random(seed)
    # its own stream, so that the draws without interactions stay those of before
    pairs = random.Random(seed + 7919)
    n_rf = 12 + (n_causes - 14) // 2
    rfs = []
    for i in range(max(4, n_rf)):
        states = (
            ("s0", "s1", "s2", "s3") if i == 0 else ("s0", "s1", "s2") if i == 1 else ("no", "yes")
        )
        raw = [rng.uniform(0.2, 1.0) for _ in states]
        raw[0] += 1.0
        total = sum(raw)
        var = Variable(f"rf{i}", "risk_factor", states, f"risk factor {i}")
        prev = tuple(_entry(f"rf:rf{i}.{s}", p / total) for s, p in zip(states, raw, strict=True))
        rfs.append(RiskFactor(var, prev))
    causes: list[Cause] = []
    # binary risk factors are each shared by a few causes (the calf model's structure)
    others = [rf.variable.id for rf in rfs[2:]]
    for c in range(n_causes):
        graded = c == 0
        states = GRADES if graded else BINARY_CAUSE_STATES
        var = Variable(f"c{c}", "cause", states, f"cause {c}")
        parents = []
        if rng.random() < 0.8:
            parents.append("rf0")
        if rng.random() < 0.6:
            parents.append("rf1")
        parents += rng.sample(others, rng.randint(0, 2))
        if not parents:
            parents = [rng.choice(others)]
        ors = []
        for p in parents:
            pstates = next(rf.variable.states for rf in rfs if rf.variable.id == p)
            for s in pstates[1:]:
                ors.append(
                    OddsRatio(
                        p, s, _entry(f"causes:c{c}.or.{p}.{s}", rng.uniform(1.2, 4.0), "odds_ratio")
                    )
                )
        if interactions and len(parents) >= 2 and pairs.random() < 0.5:
            (a, sa), (b, sb) = (
                (p, pairs.choice(next(rf.variable.states for rf in rfs if rf.variable.id == p)[1:]))
                for p in parents[:2]
            )
            value = pairs.uniform(0.2, 3.0)
            entry = _entry(f"causes:c{c}.or.{a}.{sa}&{b}.{sb}", value, "odds_ratio")
            ors.append(OddsRatio(a, sa, entry, also=((b, sb),)))
        if c in (3, 6):  # this cause has the previous one as a parent
            ors.append(
                OddsRatio(
                    f"c{c - 1}", "present", _entry(f"causes:c{c}.or.c{c - 1}", 5.0, "odds_ratio")
                )
            )
        base = rng.choice([0.002, 0.01, 0.05, 0.1, 0.2])
        baseline = (
            tuple(
                _entry(f"causes:c{c}.baseline.{g}", b)
                for g, b in zip(GRADES[1:], (0.12, 0.05, 0.01), strict=True)
            )
            if graded
            else (_entry(f"causes:c{c}.baseline", base),)
        )
        causes.append(Cause(var, f"cause {c}", baseline, tuple(ors)))
    findings = []
    for f in range(int(round(findings_per_cause * n_causes))):
        var = Variable(f"f{f}", "finding", FINDING_STATES, f"finding {f}")
        leak = rng.choice([0.005, 0.01, 0.02, 0.03, 0.05, 0.1])
        linked = rng.sample(list(range(n_causes)), rng.randint(2, min(8, n_causes)))
        links = []
        for j in linked:
            if j == 0:
                for g, prob in zip(
                    GRADES[1:],
                    sorted(rng.uniform(leak + 0.05, 0.95) for _ in range(3)),
                    strict=True,
                ):
                    links.append(Link("c0", g, _entry(f"findings:f{f}.c0.{g}", prob)))
            else:
                prob = rng.uniform(leak + 0.05, 0.95)
                links.append(Link(f"c{j}", "present", _entry(f"findings:f{f}.c{j}", prob)))
        findings.append(Finding(var, _entry(f"findings:f{f}.leak", leak), tuple(links)))
    return ModelSpec(tuple(rfs), tuple(causes), tuple(findings), (), {}, {}, {})
