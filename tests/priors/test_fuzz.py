"""Seeded mutation fuzz of the shipped priors: a clean PriorsError or a sound model, never a crash.

Each mutation changes one thing in one file (drops or renames a key, swaps a value for one
of another type, scales a number, cuts or corrupts the text). The folder must then either
be refused with a ``PriorsError`` (one line per problem) or load into a model whose
distributions sum to one, with and without evidence.
"""

from __future__ import annotations

import math
import random
import shutil
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w

from model import DiagnosticModel, PriorsError
from model.errors import EvidenceError
from model.priors.loader import DEFAULT_PRIORS, load_spec
from model.priors.toml_io import FILES

N_MUTATIONS = 300
SEED = 20240614
ODD_VALUES: list[Any] = [
    0, -1, 3, 1e300, float("nan"), float("inf"), 0.5, True, "", "x\ny", "unknown",
    [], [1, 2], ["a"], {}, {"value": 0.5}, [{"a": 1}],
]  # fmt: skip


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a parsed TOML document."""
    out = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        out.append((*prefix, key))
        out += paths(value, (*prefix, key))
    return out


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word + "s"
    i = rng.randrange(len(word) - 1)
    return rng.choice(
        [word + "s", word[:-1], word[:i] + word[i + 1] + word[i] + word[i + 2 :], word.upper()]
    )


def mutate(data: dict[str, Any], rng: random.Random) -> str:
    """Change one thing in ``data`` in place; return what was done."""
    path = rng.choice(paths(data))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    kind = rng.choice(["drop", "rename", "replace", "scale"])
    if kind == "drop":
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        parent[typo(str(key), rng)] = parent.pop(key)
    elif (
        kind == "scale"
        and isinstance(parent[key], int | float)
        and not isinstance(parent[key], bool)
    ):
        parent[key] = parent[key] * rng.choice([0.0, 0.5, 1.5, 10.0, -1.0])
    else:
        parent[key] = rng.choice(ODD_VALUES)
    return f"{kind} {'.'.join(map(str, path))}"


def check_model(model: DiagnosticModel, rng: random.Random) -> None:
    for cause in model.priors.values():
        assert math.isclose(sum(cause.states.values()), 1.0, abs_tol=1e-9)
    variables = list(model.variables.values())
    for _ in range(3):
        chosen = rng.sample(variables, k=min(4, len(variables)))
        evidence = {v.id: rng.choice(v.states) for v in chosen}
        try:
            d = model.diagnose(evidence, explained=False)
        except EvidenceError:
            continue  # impossible evidence is refused cleanly
        for c in d.causes:
            assert all(np.isfinite(list(c.states.values())))
            assert math.isclose(sum(c.states.values()), 1.0, abs_tol=1e-9)


@pytest.mark.slow
def test_mutated_priors_give_a_clean_error_or_a_sound_model(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    originals = {s: (DEFAULT_PRIORS / f"{s}.toml").read_text() for s in FILES}
    parsed = {s: tomllib.loads(t) for s, t in originals.items()}
    folder = tmp_path / "priors"
    shutil.copytree(DEFAULT_PRIORS, folder)
    outcomes = {"refused": 0, "loaded": 0}
    for i in range(N_MUTATIONS):
        stem = rng.choice(FILES)
        if rng.random() < 0.2:  # corrupt the text itself
            text = originals[stem]
            cut = rng.randrange(len(text))
            text = rng.choice(
                [text[:cut], text[:cut] + rng.choice("[]{}=\"'.,\n\x00") + text[cut:]]
            )
            what = f"text edit at {cut}"
        else:
            data = tomllib.loads(tomli_w.dumps(parsed[stem]))
            what = mutate(data, rng)
            text = tomli_w.dumps(data)
        (folder / f"{stem}.toml").write_text(text)
        try:
            spec = load_spec(folder)
        except PriorsError as err:
            assert err.problems and all("\n" not in p for p in err.problems), (i, what)
            outcomes["refused"] += 1
        else:
            check_model(DiagnosticModel(spec), rng)
            outcomes["loaded"] += 1
        finally:
            (folder / f"{stem}.toml").write_text(originals[stem])
    assert outcomes["refused"] > N_MUTATIONS // 4 and outcomes["loaded"] > 10, outcomes
