"""Start-up of one ``calfdx`` command, this checkout against an earlier commit, run by run.

The earlier commit is checked out into a temporary git worktree and run with this
checkout's interpreter (the same packages), importing its own ``model``. The two
commands run in turn (A B A B ...), after one warm-up each, so a drift in the machine's
speed affects both alike; the figures are each run's wall time and its CPU time (user +
system, from ``resource.getrusage`` of the finished child), with the ratio A/B per pair.

    .venv/bin/python bench/bench_cli_start.py --against b15eb8d -n 9
    .venv/bin/python bench/bench_cli_start.py --against b15eb8d -- diagnose one_leg_swelling=yes

The earlier commit's entry point is found as ``model.interfaces.cli`` or ``model.cli``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ["diagnose", "--json", "one_leg_swelling=yes"]
LAUNCH = (
    "import sys, importlib, importlib.util; sys.path.insert(0, {root!r}); "
    "mod = next(m for m in ('model.interfaces.cli', 'model.cli') "
    "if importlib.util.find_spec(m) is not None); "
    "sys.exit(importlib.import_module(mod).main())"
)


def command(root: Path, args: list[str]) -> list[str]:
    """``calfdx ARGS`` run from ``root`` with this interpreter."""
    return [sys.executable, "-c", LAUNCH.format(root=str(root)), *args]


def run_once(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one finished run (its output thrown away)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[3:])} failed in {cwd}: {done.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the earlier commit (B)")
    parser.add_argument("-n", type=int, default=7, help="counted runs of each (default 7)")
    parser.add_argument("args", nargs="*", help=f"calfdx arguments (default: {' '.join(DEFAULT)})")
    opts = parser.parse_args()
    args = opts.args or DEFAULT
    with tempfile.TemporaryDirectory(prefix="calfdx-bench-") as tmp:
        os.environ["CALFDX_CACHE_DIR"] = str(Path(tmp) / "cache")  # warmed by the warm-up
        other = Path(tmp) / "b"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), opts.against],
            check=True,
        )
        try:
            a, b = command(ROOT, args), command(other, args)
            run_once(a, ROOT), run_once(b, other)  # warm-up: disk cache, compiled files
            rows: list[tuple[float, float, float, float]] = []
            for _ in range(opts.n):
                rows.append((*run_once(a, ROOT), *run_once(b, other)))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)])
    med = [statistics.median(col) for col in zip(*rows, strict=True)]
    wall_ratio = statistics.median(r[0] / r[2] for r in rows)
    cpu_ratio = statistics.median(r[1] / r[3] for r in rows)
    print(f"calfdx {' '.join(args)}: {opts.n} runs each, alternating")
    print(f"A this checkout       wall {med[0]:.3f} s   cpu {med[1]:.3f} s (medians)")
    print(f"B {opts.against:<19} wall {med[2]:.3f} s   cpu {med[3]:.3f} s")
    print(f"A/B per pair (median) wall {wall_ratio:.3f}   cpu {cpu_ratio:.3f}")
    print(f"B is {1 / wall_ratio:.2f}x A's wall time, {1 / cpu_ratio:.2f}x its CPU time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
