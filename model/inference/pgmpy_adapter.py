"""The one module that talks to pgmpy: build the network, query it, read and write files."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from model.atomic import atomic_path
from model.evidence import smallest_conflict
from model.inference.formats import FORMATS, Format
from model.inference.network_tables import cpts_for
from model.inference.tables import CPT, Array, noisy_or_chain
from model.priors.spec import ModelSpec

with warnings.catch_warnings():
    # pgmpy 1.1 warns about its own estimators' renaming while importing itself.
    warnings.simplefilter("ignore", FutureWarning)
    from pgmpy import config as pgmpy_config
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.inference import VariableElimination
    from pgmpy.models import DiscreteBayesianNetwork
    from pgmpy.readwrite import BIFReader, BIFWriter, XMLBIFReader, XMLBIFWriter

pgmpy_config.set_show_progress(False)

__all__ = [
    "FORMATS",
    "DiscreteBayesianNetwork",
    "Format",
    "VariableEliminationEngine",
    "build_network",
    "read_network",
    "write_network",
]


CHAIN_PARENTS = 8  # a noisy-OR with more parents is stored as a chain of small tables


def network_cpts(spec: ModelSpec) -> list[CPT]:
    """The tables of the network as stored, in topological order.

    Each noisy-OR with many parents (the presenting complaint over every cause) becomes a
    chain of small tables (``tables.noisy_or_chain``), so the BIF file and pgmpy's
    elimination stay small; every other node is as ``tables`` computes it.
    """
    cards = {k: len(v.states) for k, v in spec.variables.items()}
    states = {k: v.states for k, v in spec.variables.items()}
    wide = [
        f
        for f in (*spec.findings, *([spec.presentation] if spec.presentation else []))
        if len(f.parents) > CHAIN_PARENTS
    ]
    chained = {f.variable.id for f in wide}
    nodes = [*spec.variables, *spec.network_findings]
    out = list(cpts_for(spec, {n for n in nodes if n not in chained}).values())
    for f in wide:
        out += noisy_or_chain(f, cards, states)
    return out


def build_network(spec: ModelSpec) -> DiscreteBayesianNetwork:
    """Compile the spec into a pgmpy network with named states that passes ``check_model``.

    >>> from model.priors.loader import load_spec
    >>> net = build_network(load_spec())
    >>> net.check_model()
    True
    """
    cpts = network_cpts(spec)
    net = DiscreteBayesianNetwork()
    net.add_nodes_from(c.variable for c in cpts)
    net.add_edges_from((p, c.variable) for c in cpts for p in c.parents)
    states = {c.variable: list(c.states) for c in cpts}
    for c in cpts:
        names = {c.variable: list(c.states), **{p: states[p] for p in c.parents}}
        net.add_cpds(
            TabularCPD(
                c.variable,
                len(c.states),
                c.flat(),
                evidence=list(c.parents) or None,
                evidence_card=[len(states[p]) for p in c.parents] or None,
                state_names=names,
            )
        )
    net.check_model()
    return net


class VariableEliminationEngine:
    """Exact posteriors from pgmpy's variable elimination (the reference engine)."""

    GROUP = 4  # pgmpy builds the joint over the query variables even with joint=False
    MAX_JOINT = 2**21  # numbers in that joint (16 MB; pgmpy's working set about 3x) up to
    # which one query asks for all

    def __init__(self, network: DiscreteBayesianNetwork) -> None:
        self.network = network
        self.states = {v: list(network.get_cpds(v).state_names[v]) for v in network.nodes()}
        self._ve = VariableElimination(network)

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable, ordered as the variable's states."""
        out: dict[str, Array] = {}
        free = [v for v in variables if v not in evidence]
        # pgmpy builds the joint over the query variables even with joint=False, which
        # explodes past about 20 of them: ask in small groups then. When the joint is
        # small enough, one query is far cheaper: with every finding observed, eliminating
        # the causes of a 4-cause group takes about 25 s on the shipped model (the findings
        # tie all causes together), keeping them all in the joint about 1 s.
        size = math.prod(len(self.states[v]) for v in free)
        step = len(free) if size <= self.MAX_JOINT else self.GROUP
        for start in range(0, len(free), max(step, 1)):
            group = free[start : start + step]
            result = self._ve.query(
                group, evidence=dict(evidence), joint=False, show_progress=False
            )
            for v in group:
                factor = result[v]
                order = [factor.state_names[v].index(s) for s in self.states[v]]
                out[v] = np.asarray(factor.values, dtype=float)[order]
        for v in variables:
            if v in evidence:
                out[v] = np.array([1.0 if s == evidence[v] else 0.0 for s in self.states[v]])
        return out

    def _conditional(self, var: str, state: str, given: Mapping[str, str]) -> float:
        return float(
            self.marginals([var], {k: v for k, v in given.items() if k != var})[var][
                self.states[var].index(state)
            ]
        )

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence) by the chain rule; on zero, also the smallest conflicting items found.

        Returns ``(-inf, items)`` where ``items`` are ``"id=state"`` strings that together
        have probability zero.
        """
        total = 0.0
        given: dict[str, str] = {}
        for var, state in evidence.items():
            p = self._conditional(var, state, given)
            if p <= 0.0:

                def impossible(trial: dict[str, str], var: str = var, state: str = state) -> bool:
                    rest = {k: v for k, v in trial.items() if k != var}
                    return var in trial and self._conditional(var, state, rest) <= 0.0

                return -math.inf, smallest_conflict({**given, var: state}, impossible)
            total += math.log(p)
            given[var] = state
        return total, []


def write_network(
    network: DiscreteBayesianNetwork, path: str | os.PathLike[str], fmt: Format
) -> None:
    """Write the whole network to ``path`` as BIF or XMLBIF through ``model.atomic``.

    Never leaves a half-written or temporary file; a symbolic link is written through.
    """
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        writer: Any = BIFWriter(network) if fmt == "bif" else XMLBIFWriter(network)
        writer.write(str(tmp)) if hasattr(writer, "write") else writer.write_bif(str(tmp))


def read_network(path: str | os.PathLike[str], fmt: Format = "bif") -> DiscreteBayesianNetwork:
    """Read a BIF or XMLBIF file back into a pgmpy network."""
    reader: Any = BIFReader(str(path)) if fmt == "bif" else XMLBIFReader(str(path))
    model: DiscreteBayesianNetwork = reader.get_model()
    return model
