"""Engines side by side in one run: NoisyOrEngine, pgmpy VE, pyAgrum LazyPropagation and
ShaferShenoy (targets = causes, one thread), on the shipped model and generated networks.

Usage: ``.venv/bin/python bench/bench_engines.py [--sets 200] [--batch 100000]``; prints
a JSON summary and writes ``bench/engines.json`` (``--only generated_14`` runs one network
alone into it). Also times the default engine on the
project's clinical sets (literature cases and vignettes), whose answers are sparser than the
random sets'. BLAS and pyAgrum pinned to one thread.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run_benchmarks import timed  # noqa: E402  (bench/ is the script's folder)

from model.analysis.batch import score  # noqa: E402
from model.api import DiagnosticModel  # noqa: E402
from model.inference.engines import make_engine  # noqa: E402
from model.inference.pgmpy_adapter import VariableEliminationEngine, build_network, write_network  # noqa: E402
from model.inference.synthetic import random_spec  # noqa: E402
from model.priors.loader import load_spec  # noqa: E402


def sets_for(spec, n, seed, max_items=20):
    rng = random.Random(seed)
    obs = [v for v in spec.variables.values() if v.kind != "cause"]
    return [
        {v.id: rng.choice(v.states) for v in rng.sample(obs, rng.randint(0, max_items))}
        for _ in range(n)
    ]


def stats(times):
    ms = sorted(t * 1e3 for t in times)
    return {
        "median_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)],
        "n": len(ms),
    }


def pyagrum_engines(spec, causes):
    import pyagrum as gum

    gum.config["core", "default_maxNumberOfThreads"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.bif"
        write_network(build_network(spec), path, "bif")
        bn = gum.loadBN(str(path))
    out = {}
    for name, cls in (
        ("pyagrum_lazy", gum.LazyPropagation),
        ("pyagrum_shafer_shenoy", gum.ShaferShenoyInference),
    ):
        ie = cls(bn)
        ie.setNumberOfThreads(1)
        ie.setTargets(set(causes))

        def run(ev, ie=ie):
            ie.eraseAllEvidence()
            if ev:
                ie.setEvidence(ev)
            ie.makeInference()
            return {c: np.asarray(ie.posterior(c).toarray(), dtype=float) for c in causes}

        out[name] = run
    return out


def network(name, spec, n_sets, n_ref):
    # as the model asks: with a presenting complaint, every query is conditioned on it
    eng = make_engine(spec, "fast")
    causes = list(spec.cause_ids)
    complaint = {} if spec.presentation is None else {spec.presentation.variable.id: "yes"}
    sets = [{**ev, **complaint} for ev in sets_for(spec, n_sets, seed=len(causes))]
    ref = VariableEliminationEngine(build_network(spec))
    sets = [ev for ev in sets if eng.log_evidence(ev)[0] > -math.inf]
    eng.marginals(causes, sets[0])  # compile / load the cached kernel
    eng.stats.update(dict.fromkeys(eng.stats, 0))

    def ours(ev):
        eng.clear_memo()
        eng.log_evidence(ev)
        return eng.marginals(causes, ev)

    tracemalloc.start()
    fresh = make_engine(spec, "fast")
    fresh.marginals(causes, sets[1])
    for ev in sets[:50]:
        fresh.clear_memo()
        fresh.marginals(causes, ev)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t_ours, a_ours = timed(ours, sets)
    share = dict(eng.stats)
    res = {"network": name, "causes": len(causes), "sets": len(sets), "engine": repr(eng)}
    res["noisyor"] = stats(t_ours) | {"path_counts": share, "memory_mb_tracemalloc": peak / 2**20}
    sub = sets[:n_ref]
    t_ve, a_ve = timed(lambda ev: ref.marginals(causes, ev), sub)
    res["pgmpy_ve"] = stats(t_ve)
    res["max_abs_diff_vs_pgmpy"] = max(
        float(np.abs(a[c] - b[c]).max()) for a, b in zip(a_ours, a_ve, strict=False) for c in causes
    )
    for pname, fn in pyagrum_engines(spec, causes).items():
        t_p, a_p = timed(fn, sets)
        res[pname] = stats(t_p)
        res[f"max_abs_diff_{pname}"] = max(
            float(np.abs(a[c] - b[c]).max())
            for a, b in zip(a_ours, a_p, strict=False)
            for c in causes
        )
    best = min(res["pyagrum_lazy"]["median_ms"], res["pyagrum_shafer_shenoy"]["median_ms"])
    res["speedup_median_vs_faster_pyagrum_targets"] = best / res["noisyor"]["median_ms"]
    res["speedup_median_vs_pgmpy_ve"] = res["pgmpy_ve"]["median_ms"] / res["noisyor"]["median_ms"]
    # arithmetic floor: multiply-adds the kernel does (cost model) at 1 per ns, per query
    work = []
    for ev in sets:
        n_pos = sum(
            1
            for k, s in ev.items()
            if eng._kinds[k] == "finding" and eng._entry[(k, eng.states[k].index(s))][0] == "expand"
        )
        work.append((2**n_pos) * eng._work_per_combo)
    res["floor"] = {
        "median_multiply_adds": float(np.median(work)),
        "median_us_at_1_per_ns": float(np.median(work)) / 1e3,
    }
    return res, sets


def clinical(spec):
    """The default engine on the project's clinical sets, cold: the literature cases and
    vignettes of tests/, every cause's posterior, both engines' memos cleared per query."""
    import tomllib

    eng = make_engine(spec, "fast")
    causes = list(spec.cause_ids)
    complaint = {spec.presentation.variable.id: "yes"}
    sets = []
    for name, key in (("literature_cases.toml", "case"), ("vignettes.toml", "vignette")):
        for c in tomllib.loads((ROOT / "tests" / name).read_text())[key]:
            ev = {k: v for k, v in c["evidence"].items() if k in spec.variables}
            sets.append({**ev, **complaint})
    stable = eng.inner._stable()
    eng.marginals(causes, sets[0])
    stable.marginals(causes, sets[0])
    before = dict(eng.stats)
    times = []
    for ev in sets:
        eng.clear_memo()
        stable.clear_memo()
        t = time.perf_counter()
        eng.marginals(causes, ev)
        times.append(time.perf_counter() - t)
    counts = {k: v - before.get(k, 0) for k, v in eng.stats.items()}
    return stats(times) | {"mean_ms": 1e3 * statistics.mean(times), "path_counts": counts}


def batch(spec, n_cases, sample):
    """100k distinct cases through the batch path, against a pyAgrum loop on a sample."""
    model = DiagnosticModel(spec)
    rng = random.Random(7)
    obs = [v for v in spec.variables.values() if v.kind != "cause"]
    seen, rows = set(), []
    while len(rows) < n_cases:
        ev = {v.id: rng.choice(v.states) for v in rng.sample(obs, rng.randint(3, 14))}
        key = tuple(sorted(ev.items()))
        if key in seen or model.engine.log_evidence(ev)[0] == -math.inf:
            continue
        seen.add(key)
        rows.append(ev)
    frame = pd.DataFrame(rows, columns=[v.id for v in obs])
    t = time.perf_counter()
    out, bad = score(model, frame)
    ours = time.perf_counter() - t
    assert not bad and len(out) == n_cases
    causes = model.cause_ids
    complaint = {} if spec.presentation is None else {spec.presentation.variable.id: "yes"}
    fns = pyagrum_engines(spec, causes)
    loop = {}
    for name, fn in fns.items():
        t = time.perf_counter()
        for ev in rows[:sample]:
            fn({**ev, **complaint})
        loop[name] = (time.perf_counter() - t) / sample * n_cases
    best = min(loop.values())
    return {
        "cases": n_cases,
        "calfdx_seconds": ours,
        "calfdx_cases_per_s": n_cases / ours,
        "pyagrum_loop_seconds_extrapolated": loop,
        "pyagrum_sample": sample,
        "speedup_vs_faster_pyagrum_loop": best / ours,
        "stable_share": model.engine.stats,
    }


def render(results):
    """The markdown tables of bench/RESULTS.md from a results dict (engines.json)."""
    lines = [
        "| network | calfdx NoisyOrEngine median / p95 ms | pgmpy VE median / p95 | pyAgrum Lazy (targets) median / p95 | pyAgrum ShaferShenoy (targets) median / p95 | median speed-up vs faster pyAgrum | vs pgmpy VE | calfdx memory MB | paths (signed quickscore incl. telescoped, double-double / fired-set sweep incl. complaint as signed runs / stable) | max diff vs pgmpy |",
        "|---|---|---|---|---|---:|---:|---:|---|---:|",
    ]
    nets = [(k, r) for k, r in results.items() if "network" in r]
    for name, r in sorted(nets, key=lambda kr: (kr[0] != "shipped", kr[1]["causes"])):
        o, v, lz, ss = r["noisyor"], r["pgmpy_ve"], r["pyagrum_lazy"], r["pyagrum_shafer_shenoy"]
        pc = o["path_counts"]
        lines.append(
            f"| {name} ({r['causes']} causes) | {o['median_ms']:.3f} / {o['p95_ms']:.2f} | "
            f"{v['median_ms']:.2f} / {v['p95_ms']:.1f} (n={v['n']}) | {lz['median_ms']:.2f} / {lz['p95_ms']:.2f} | "
            f"{ss['median_ms']:.2f} / {ss['p95_ms']:.2f} | {r['speedup_median_vs_faster_pyagrum_targets']:.1f}x | "
            f"{r['speedup_median_vs_pgmpy_ve']:.0f}x | {o['memory_mb_tracemalloc']:.1f} | "
            f"{pc['quickscore']} ({pc['telescoped']} telescoped, {pc['double_double']} dd) / "
            f"{pc.get('fired', 0)} ({pc.get('fired_signed', 0)} signed) / {pc['stable']} | "
            f"{r['max_abs_diff_vs_pgmpy']:.1e} |"
        )
    return "\n".join(lines)


NETWORKS = ("shipped", "generated_14", "generated_20", "generated_25", "generated_30")


def spec_of(name):
    """The shipped spec, or ``generated_N``: the generated network of N causes (seed N)."""
    if name == "shipped":
        return load_spec()
    n = int(name.removeprefix("generated_"))
    return random_spec(n, seed=n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", type=int, default=200)
    ap.add_argument("--ref", type=int, default=100)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--render", action="store_true", help="print the tables of engines.json")
    ap.add_argument(
        "--batch-only", action="store_true", help="rerun the batch alone into engines.json"
    )
    ap.add_argument(
        "--only",
        help="run one network alone (shipped, or generated_N for N causes) into engines.json",
    )
    args = ap.parse_args()
    out = ROOT / "bench" / "engines.json"
    if args.render:
        print(render(json.loads(out.read_text())))
        return
    if args.batch_only:
        results = json.loads(out.read_text())
        results["batch_shipped"] = batch(load_spec(), args.batch, args.sample)
        print(json.dumps(results["batch_shipped"]), flush=True)
        out.write_text(json.dumps(results, indent=1))
        return
    if args.only:
        results = json.loads(out.read_text()) if out.exists() else {}
        results[args.only], _ = network(args.only, spec_of(args.only), args.sets, args.ref)
        print(json.dumps(results[args.only]), flush=True)
        out.write_text(json.dumps(results, indent=1))
        return
    results = {}
    for name in NETWORKS:
        res, _ = network(name, spec_of(name), args.sets, args.ref)
        results[name] = res
        print(json.dumps(res), flush=True)
    results["clinical_shipped"] = clinical(load_spec())
    print(json.dumps(results["clinical_shipped"]), flush=True)
    results["batch_shipped"] = batch(load_spec(), args.batch, args.sample)
    print(json.dumps(results["batch_shipped"]), flush=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
