"""Turn a priors folder into a validated ``ModelSpec``, reporting every problem at once.

This is the one validation gate: downstream code trusts what it returns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from model.errors import PriorsError, first_repeated, one_of, quote, unknown_state
from model.priors.keys import make_key, odds_ratio_terms, path_part
from model.priors.schema import check_file
from model.priors.spec import (
    BINARY_CAUSE_STATES,
    EXPERT,
    EXPERT_NEEDS_REASON,
    FINDING_STATES,
    LEVELS,
    Accuracy,
    CategoricalFinding,
    Cause,
    Entry,
    Exclusion,
    Finding,
    Kind,
    Level,
    Link,
    ModelSpec,
    OddsRatio,
    RedFlag,
    Reference,
    RiskFactor,
    StateLink,
    Table,
    TableRow,
    TriageRule,
    Variable,
)
from model.priors.toml_io import read_folder


def _default_priors() -> Path:
    """The shipped priors: ``model/default_priors`` in an installed wheel, else the repository's ``priors/``."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "default_priors"
    return installed if installed.is_dir() else package.parent / "priors"


DEFAULT_PRIORS = _default_priors()
ID = re.compile(r"^[a-z][a-z0-9_]*$")
ENTRY_FIELDS = ("value", "range", "source", "reason", "note")


class _Problems:
    """Collects problems, each prefixed with its file and key path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.items: list[str] = []

    def add(self, stem: str, path: str, message: str) -> None:
        where = f"{self.folder / (stem + '.toml')}"
        self.items.append(f"{where}: {path}: {message}" if path else f"{where}: {message}")


def _kind_of(value: Any) -> str:
    return "a table" if isinstance(value, dict) else repr(value)


class _Reader:
    """Reads one folder's raw dicts into spec objects."""

    def __init__(self, raw: dict[str, dict[str, Any]], problems: _Problems) -> None:
        self.raw = raw
        self.p = problems
        self.refs: dict[str, Reference] = {}
        # every variable whose declaration parsed, even if its numbers did not, so one
        # broken number is reported once and not again at every reference to its node
        self.declared: dict[str, Variable] = {}
        self.answerable: dict[str, Variable] = {}  # set by ``findings``
        self.complaint = ""  # the presenting complaint's id, set by ``findings``
        self.exclusions: list[Exclusion] = []  # set by ``findings``

    # -- generic pieces ------------------------------------------------------------

    def text(self, stem: str, path: str, table: dict[str, Any], key: str, required: bool) -> str:
        value = table.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            self.p.add(stem, f"{path}.{key}", f"expected a non-empty string, found {value!r}")
            return ""
        return value

    def entry(self, stem: str, path: str, raw: Any, kind: Kind = "probability") -> Entry | None:
        """Parse ``{ value, range, source, reason?, note? }`` at ``stem:path``."""
        if not isinstance(raw, dict):
            self.p.add(stem, path, f"expected {{ value, range, source }}, found {_kind_of(raw)}")
            return None
        ok = True
        for extra in sorted(set(raw) - set(ENTRY_FIELDS)):
            self.p.add(stem, f"{path}.{extra}", f"unknown field; {one_of(extra, ENTRY_FIELDS)}")
            ok = False
        value = raw.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.p.add(stem, f"{path}.value", f"expected a number, found {value!r}")
            ok = False
        rng = raw.get("range")
        if not (
            isinstance(rng, list)
            and len(rng) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in rng)
        ):
            self.p.add(stem, f"{path}.range", f"expected [low, high], found {rng!r}")
            ok = False
        sources = self.sources(stem, path, raw.get("source"))
        ok = ok and sources is not None
        if not ok or sources is None or value is None or rng is None:
            return None
        try:
            entry = Entry(
                key=make_key(stem, path),
                value=float(value),
                low=float(rng[0]),
                high=float(rng[1]),
                sources=sources,
                reason=str(raw.get("reason", "")),
                note=str(raw.get("note", "")),
                kind=kind,
            )
        except ValueError as err:
            self.p.add(stem, path, str(err))
            return None
        if not entry.in_range:
            self.p.add(
                stem,
                path,
                f"value {entry.value:g} lies outside its range [{entry.low:g}, {entry.high:g}]",
            )
        return entry

    def sources(self, stem: str, path: str, raw: Any) -> tuple[str, ...] | None:
        keys = [raw] if isinstance(raw, str) else raw
        if not keys or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            self.p.add(
                stem, f"{path}.source", f"source is missing: give a reference key or '{EXPERT}'"
            )
            return None
        bad = [k for k in keys if k != EXPERT and k not in self.refs]
        for k in bad:
            choices = [*sorted(self.refs), EXPERT]
            self.p.add(
                stem, f"{path}.source", f"unknown reference {quote(k)}; {one_of(k, choices)}"
            )
        return None if bad else tuple(keys)

    def tables(self, stem: str) -> Iterable[tuple[str, dict[str, Any]]]:
        for key, value in self.raw[stem].items():
            if not isinstance(value, dict):
                self.p.add(stem, key, f"expected a table, found {_kind_of(value)}")
                continue
            if not ID.match(key):
                self.p.add(stem, key, "ids are lower_case_with_underscores")
                continue
            yield key, value

    def variable(
        self, stem: str, vid: str, table: dict[str, Any], kind: Any, default: tuple[str, ...]
    ) -> Variable | None:
        states_raw = table.get("states", list(default))
        if not (isinstance(states_raw, list) and all(isinstance(s, str) for s in states_raw)):
            self.p.add(
                stem, f"{vid}.states", f"expected a list of state names, found {states_raw!r}"
            )
            return None
        states = tuple(states_raw)
        labels_raw = table.get("state_labels", {})
        labels: tuple[str, ...] = ()
        if isinstance(labels_raw, dict) and labels_raw:
            for s in sorted(set(labels_raw) - set(states)):
                self.p.add(stem, f"{vid}.state_labels.{s}", f"unknown state; {one_of(s, states)}")
            labels = tuple(str(labels_raw.get(s, s.replace("_", " "))) for s in states)
        label = self.text(stem, vid, table, "label", required=True)
        question = self.text(stem, vid, table, "question", required=False)
        statement = self.text(stem, vid, table, "statement", required=False)
        statement_no = self.text(stem, vid, table, "statement_no", required=False)
        if statement_no and "no" not in states:
            self.p.add(
                stem, f"{vid}.statement_no", f"needs a 'no' state; states: {', '.join(states)}"
            )
            statement_no = ""
        try:
            return Variable(vid, kind, states, label, question, labels, statement, statement_no)
        except ValueError as err:
            self.p.add(stem, f"{vid}.states", str(err))
            return None

    # -- the files -----------------------------------------------------------------

    def references(self) -> None:
        for key, t in self.tables("references"):
            year = t.get("year")
            if isinstance(year, bool) or not isinstance(year, int):
                self.p.add(
                    "references", f"{key}.year", f"expected a year as an integer, found {year!r}"
                )
                continue
            authors = self.text("references", key, t, "authors", required=True)
            title = self.text("references", key, t, "title", required=True)
            self.refs[key] = Reference(
                key,
                authors,
                year,
                title,
                str(t.get("journal", "")),
                str(t.get("doi", "")),
                str(t.get("file", "")),
            )

    def risk_factors(self) -> list[RiskFactor]:
        out = []
        for vid, t in self.tables("risk_factors"):
            var = self.variable("risk_factors", vid, t, "risk_factor", ())
            prev = t.get("prevalence")
            if var is None:
                continue
            self.declared[vid] = var
            if not isinstance(prev, dict):
                self.p.add(
                    "risk_factors", f"{vid}.prevalence", "expected a table with one entry per state"
                )
                continue
            for s in sorted(set(prev) - set(var.states)):
                self.p.add(
                    "risk_factors",
                    f"{vid}.prevalence.{s}",
                    f"unknown state; {one_of(s, var.states)}",
                )
            missing = [s for s in var.states if s not in prev]
            if missing:
                self.p.add(
                    "risk_factors", f"{vid}.prevalence", f"missing state(s) {', '.join(missing)}"
                )
                continue
            entries = [
                self.entry("risk_factors", f"{vid}.prevalence.{s}", prev[s]) for s in var.states
            ]
            if any(e is None for e in entries):
                continue
            try:
                out.append(RiskFactor(var, tuple(e for e in entries if e is not None)))
            except ValueError as err:
                self.p.add("risk_factors", f"{vid}.prevalence", str(err))
        return out

    def causes(self, rfs: dict[str, Variable]) -> list[Cause]:
        variables: dict[str, Variable] = {}
        raws: dict[str, dict[str, Any]] = {}
        for vid, t in self.tables("causes"):
            if vid in rfs:
                self.p.add("causes", vid, "id is already a risk factor")
                continue
            var = self.variable("causes", vid, t, "cause", BINARY_CAUSE_STATES)
            if var is not None:
                variables[vid] = var
                raws[vid] = t
        self.declared.update(variables)
        known = dict(self.declared)
        out = []
        for vid, t in raws.items():
            var = variables[vid]
            description = self.text("causes", vid, t, "description", required=False)
            if "table" in t:
                for beside in ("prevalence", "baseline", "odds_ratios"):
                    if beside in t:
                        self.p.add(
                            "causes",
                            f"{vid}.{beside}",
                            "a cause given as a `table` takes its numbers from the table alone; "
                            f"remove `{beside}` or the table",
                        )
                table = self.table("causes", vid, t["table"], var, known)
                if table is not None:
                    out.append(Cause(var, description, table=table))
                continue
            if ("baseline" in t) == ("prevalence" in t):
                self.p.add(
                    "causes",
                    vid,
                    "give either `prevalence` (among runners who present, solved for the "
                    "baseline) or `baseline` (at the reference, taken as it is), not both or neither",
                )
                continue
            field = "prevalence" if "prevalence" in t else "baseline"
            numbers = self.baseline(vid, t.get(field), var, field)
            if field == "prevalence":
                self.positive(numbers or ())
            ors = self.odds_ratios(vid, t.get("odds_ratios", {}), known)
            if numbers is None or ors is None:
                continue
            try:
                if field == "prevalence":
                    out.append(Cause(var, description, (), ors, prevalence=numbers))
                else:
                    out.append(Cause(var, description, numbers, ors))
            except ValueError as err:
                self.p.add("causes", f"{vid}.{field}", str(err))
        return self.acyclic(out)

    def baseline(
        self, vid: str, raw: Any, var: Variable, field: str = "baseline"
    ) -> tuple[Entry, ...] | None:
        if len(var.states) == 2:
            e = self.entry("causes", f"{vid}.{field}", raw)
            return None if e is None else (e,)
        if not isinstance(raw, dict) or "value" in raw:
            self.p.add(
                "causes",
                f"{vid}.{field}",
                f"expected one entry per state in {list(var.states[1:])}",
            )
            return None
        for s in sorted(set(raw) - set(var.states[1:])):
            self.p.add(
                "causes", f"{vid}.{field}.{s}", f"unknown state; {one_of(s, var.states[1:])}"
            )
        missing = [s for s in var.states[1:] if s not in raw]
        if missing:
            self.p.add("causes", f"{vid}.{field}", f"missing state(s) {', '.join(missing)}")
            return None
        entries = [self.entry("causes", f"{vid}.{field}.{s}", raw[s]) for s in var.states[1:]]
        return (
            None if any(e is None for e in entries) else tuple(e for e in entries if e is not None)
        )

    def positive(self, entries: tuple[Entry, ...]) -> None:
        """Record each presentation prevalence whose range reaches 0 (the solver takes logits)."""
        for e in entries:
            if e.low <= 0.0:
                self.p.add(
                    "causes",
                    e.key.partition(":")[2],
                    f"a presentation prevalence and its range must lie above 0 (the baseline is "
                    f"solved on log-odds), found {e.value:g} in [{e.low:g}, {e.high:g}]",
                )

    def odds_ratios(
        self, vid: str, raw: Any, known: dict[str, Variable]
    ) -> tuple[OddsRatio, ...] | None:
        if not isinstance(raw, dict):
            self.p.add(
                "causes",
                f"{vid}.odds_ratios",
                f'expected a table of "parent.state" entries, found {raw!r}',
            )
            return None
        out, ok = [], True
        seen: dict[frozenset[tuple[str, str]], str] = {}
        for key, value in raw.items():
            path = f"{vid}.odds_ratios.{path_part(key)}"
            terms = self.checked_terms("causes", path, vid, key, known)
            if terms is not None and (same := seen.setdefault(frozenset(terms), key)) != key:
                self.p.add("causes", path, f"the same parent states as {quote(same)}")
                terms = None
            e = None if terms is None else self.entry("causes", path, value, kind="odds_ratio")
            if terms is None or e is None:
                ok = False
                continue
            (parent, state), *also = terms
            out.append(OddsRatio(parent, state, e, tuple(also)))
        return tuple(out) if ok else None

    def checked_terms(
        self, stem: str, path: str, vid: str, key: str, known: dict[str, Variable]
    ) -> list[tuple[str, str]] | None:
        """The (parent, state) terms of an odds-ratio key, or None (the problem recorded).

        A key is ``"parent.state"``, or several joined by ``&`` for an interaction term.
        """
        terms: list[tuple[str, str]] = []
        for parent, state in odds_ratio_terms(key):
            if parent == vid:
                self.p.add(stem, path, "a cause cannot be its own parent")
                return None
            if parent not in known:
                self.p.add(stem, path, f"unknown parent {quote(parent)}; {one_of(parent, known)}")
                return None
            states = known[parent].states
            if state not in states[1:]:
                hint = (
                    "the reference state has odds ratio 1 by definition"
                    if state == states[0]
                    else one_of(state, states[1:])
                )
                if state == states[0] and "&" in key:
                    hint = "an interaction term names non-reference states only"
                self.p.add(stem, path, f"state {quote(state)} of {parent}: {hint}")
                return None
            if parent in (p for p, _ in terms):
                self.p.add(stem, path, f"an interaction names each parent once; {parent} twice")
                return None
            terms.append((parent, state))
        return terms

    def table(
        self, stem: str, vid: str, raw: Any, var: Variable, known: dict[str, Variable]
    ) -> Table | None:
        path = f"{vid}.table"
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("parents"), list)
            or not isinstance(raw.get("rows"), dict)
        ):
            self.p.add(
                stem,
                path,
                'expected parents = [...] and rows = { "state,..." = { value = [...] } }',
            )
            return None
        parents = tuple(str(x) for x in raw["parents"])
        twice = first_repeated(parents)
        if twice is not None:
            self.p.add(stem, f"{path}.parents", f"parent {quote(twice)} is listed twice")
            return None
        for parent in parents:
            if parent not in known or parent == vid:
                self.p.add(
                    stem,
                    f"{path}.parents",
                    f"unknown parent {quote(parent)}; {one_of(parent, known)}",
                )
                return None
        combos: list[tuple[str, ...]] = [()]
        for parent in parents:
            combos = [c + (s,) for c in combos for s in known[parent].states]
        rows_raw: dict[str, Any] = raw["rows"]
        for key in sorted(set(rows_raw) - {",".join(c) for c in combos}):
            self.p.add(
                stem,
                f"{path}.rows.{path_part(key)}",
                f"unknown row; expected one of {', '.join(','.join(c) for c in combos)}",
            )
        rows = []
        for combo in combos:
            key = ",".join(combo)
            rpath = f"{path}.rows.{path_part(key)}"
            row = rows_raw.get(key)
            if (
                not isinstance(row, dict)
                or not isinstance(row.get("value"), list)
                or len(row["value"]) != len(var.states)
            ):
                self.p.add(
                    stem,
                    rpath,
                    f"expected {{ value = [{len(var.states)} probabilities for {', '.join(var.states)}] }}",
                )
                continue
            values = tuple(float(v) for v in row["value"])
            entry = None
            if len(values) == 2 and "range" in row:
                entry = self.entry(stem, rpath, {**row, "value": values[1]})
            elif (sources := self.sources(stem, rpath, row.get("source"))) is None:
                continue
            elif EXPERT in sources and not str(row.get("reason", "")).strip():
                self.p.add(stem, rpath, EXPERT_NEEDS_REASON)
                continue
            try:
                rows.append(TableRow(combo, values, entry))
            except ValueError as err:
                self.p.add(stem, rpath, str(err))
        return Table(parents, tuple(rows)) if len(rows) == len(combos) else None

    def acyclic(self, causes: list[Cause]) -> list[Cause]:
        """Order causes so parents come first; report any cycle among them."""
        by_id = {c.variable.id: c for c in causes}
        ordered: list[Cause] = []
        state: dict[str, str] = {}

        def visit(cid: str, trail: list[str]) -> None:
            if state.get(cid) == "done":
                return
            if state.get(cid) == "open":
                cycle = " -> ".join([*trail[trail.index(cid) :], cid])
                self.p.add("causes", cid, f"cycle among causes: {cycle}")
                return
            state[cid] = "open"
            for parent in by_id[cid].parents:
                if parent in by_id:
                    visit(parent, [*trail, cid])
            state[cid] = "done"
            ordered.append(by_id[cid])

        for cid in by_id:
            visit(cid, [])
        return ordered

    def findings(
        self, taken: set[str], causes: dict[str, Variable]
    ) -> tuple[list[Finding], list[Accuracy], list[CategoricalFinding], Finding | None]:
        out, checks, many = [], [], []
        excludes: list[tuple[str, dict[str, Any]]] = []
        presentation: Finding | None = None
        for vid, t in self.tables("findings"):
            if vid in taken:
                self.p.add("findings", vid, "id is already a risk factor or cause")
                continue
            flag = t.get("presentation", False)
            if not isinstance(flag, bool):
                self.p.add(
                    "findings", f"{vid}.presentation", f"expected true or false, found {flag!r}"
                )
                continue
            if "reported_accuracy" in t and (flag or len(t.get("states", FINDING_STATES)) != 2):
                self.p.add(
                    "findings",
                    f"{vid}.reported_accuracy",
                    "checked only for a no/yes finding that is not the presenting complaint; "
                    "move it or remove it",
                )
            if isinstance(t.get("states"), list) and len(t["states"]) != 2:
                found = None if flag else self.categorical(vid, t, causes)
                if flag:
                    self.p.add("findings", vid, "the presenting complaint must be no/yes")
                if found is not None:
                    many.append(found)
                continue
            if "rule" in t:
                self.p.add(
                    "findings",
                    f"{vid}.rule",
                    "a rule combines the causes of a many-state finding; a no/yes finding is "
                    "a noisy-OR: remove `rule` or give more states",
                )
            var = self.variable("findings", vid, t, "finding", FINDING_STATES)
            if var is not None and var.states != FINDING_STATES:
                self.p.add(
                    "findings",
                    f"{vid}.states",
                    f"a two-state finding has states {list(FINDING_STATES)}, found {list(var.states)}",
                )
                continue
            leak = self.entry("findings", f"{vid}.leak", t.get("leak"))
            links_raw = t.get("causes")
            if var is not None:
                self.declared[vid] = var
            if var is None or leak is None:
                continue
            if not isinstance(links_raw, dict) or not links_raw:
                self.p.add(
                    "findings", f"{vid}.causes", "expected a table linking at least one cause"
                )
                continue
            links = self.links(vid, links_raw, causes, leak)
            if links is None:
                continue
            if flag:
                if presentation is not None:
                    self.p.add(
                        "findings",
                        f"{vid}.presentation",
                        f"only one finding can be the presenting complaint; "
                        f"{presentation.variable.id} already is",
                    )
                    continue
                presentation = Finding(var, leak, links)
                continue
            out.append(Finding(var, leak, links))
            checks.extend(self.accuracy(vid, t.get("reported_accuracy", {}), causes))
            if isinstance(t.get("excludes"), dict):
                excludes.append((vid, t["excludes"]))
        # what a red flag can name: what evidence can give (never the presenting complaint)
        self.answerable = {
            **{k: v for k, v in self.declared.items() if v.kind in ("finding", "risk_factor")},
            **{c.variable.id: c.variable for c in many},
        }
        if presentation is not None:
            self.complaint = presentation.variable.id
            self.answerable.pop(self.complaint, None)
        for vid, raw in excludes:
            for other, state in raw.items():
                path = f"{vid}.excludes.{path_part(other)}"
                if other not in self.answerable or other == vid:
                    self.p.add(
                        "findings",
                        path,
                        f"unknown answer {quote(other)}; {one_of(other, self.answerable)}",
                    )
                elif state not in self.answerable[other].states:
                    self.p.add(
                        "findings",
                        path,
                        unknown_state(other, str(state), self.answerable[other].states),
                    )
                else:
                    self.exclusions.append(((vid, "yes"), (other, str(state))))
        return out, checks, many, presentation

    def distribution(
        self, path: str, raw: Any, states: tuple[str, ...]
    ) -> tuple[Entry, ...] | None:
        """One entry per state, summing to one, at ``findings:path``."""
        if not isinstance(raw, dict) or "value" in raw:
            self.p.add("findings", path, f"expected one entry per state in {list(states)}")
            return None
        for s in sorted(set(raw) - set(states)):
            self.p.add("findings", f"{path}.{s}", f"unknown state; {one_of(s, states)}")
        missing = [s for s in states if s not in raw]
        if missing:
            self.p.add("findings", path, f"missing state(s) {', '.join(missing)}")
            return None
        entries = [self.entry("findings", f"{path}.{s}", raw[s]) for s in states]
        if any(e is None for e in entries):
            return None
        out = tuple(e for e in entries if e is not None)
        total = sum(e.value for e in out)
        if abs(total - 1.0) > 1e-6:
            self.p.add("findings", path, f"the distribution sums to {total:.6g}, expected 1")
            return None
        return out

    def categorical(
        self, vid: str, t: dict[str, Any], causes: dict[str, Variable]
    ) -> CategoricalFinding | None:
        """A many-state finding: ``rule``, a ``leak`` distribution, one distribution per cause."""
        var = self.variable("findings", vid, t, "finding", ())
        if var is None:
            return None
        rule = t.get("rule")
        if rule != "average":
            self.p.add("findings", f"{vid}.rule", f"unknown rule {rule!r}; valid: average")
            return None
        leak = self.distribution(f"{vid}.leak", t.get("leak"), var.states)
        raw = t.get("causes")
        if not isinstance(raw, dict) or not raw:
            self.p.add("findings", f"{vid}.causes", "expected a table linking at least one cause")
            return None
        links, ok = [], leak is not None
        seen: dict[tuple[str, str], str] = {}
        for key, value in raw.items():
            target = self.link_target(vid, key, causes, seen)
            if target is None:
                ok = False
                continue
            path, cid, state = target
            dist = self.distribution(path, value, var.states)
            if dist is None:
                ok = False
                continue
            links.append(StateLink(cid, state, dist))
        for cid in dict.fromkeys(k.cause for k in links):
            given = {k.state for k in links if k.cause == cid}
            missing = [s for s in causes[cid].states[1:] if s not in given]
            if missing:
                self.p.add(
                    "findings",
                    f"{vid}.causes",
                    f"{cid} is linked but state(s) {', '.join(missing)} have no entry",
                )
                ok = False
        if not ok or leak is None:
            return None
        return CategoricalFinding(var, leak, tuple(links))

    def link_target(
        self, vid: str, key: str, causes: dict[str, Variable], seen: dict[tuple[str, str], str]
    ) -> tuple[str, str, str] | None:
        """(path, cause, state) of a finding's link key ``cause[.state]``; ``None`` if invalid.

        A two-state cause's key may leave out its state (``present``); ``seen`` holds the
        keys already read, so ``dvt`` and ``"dvt.present"`` together are refused.
        """
        path = f"{vid}.causes.{path_part(key)}"
        cid, _, state = key.partition(".")
        if cid not in causes:
            self.p.add("findings", path, f"unknown cause {quote(cid)}; {one_of(cid, causes)}")
            return None
        states = causes[cid].states
        state = state or ("present" if len(states) == 2 else "")
        if state not in states[1:]:
            each = ", ".join(f"{cid}.{s}" for s in states[1:])
            self.p.add("findings", path, f"give one entry per state of {cid}: {each}")
            return None
        if (same := seen.setdefault((cid, state), key)) != key:
            self.p.add("findings", path, f"the same cause and state as {quote(same)}")
            return None
        return path, cid, state

    def links(
        self, vid: str, raw: dict[str, Any], causes: dict[str, Variable], leak: Entry
    ) -> tuple[Link, ...] | None:
        out, ok = [], True
        seen: dict[tuple[str, str], str] = {}
        for key, value in raw.items():
            target = self.link_target(vid, key, causes, seen)
            if target is None:
                ok = False
                continue
            path, cid, state = target
            e = self.entry("findings", path, value)
            if e is None:
                ok = False
                continue
            if e.value < leak.value:
                self.p.add(
                    "findings",
                    path,
                    f"{e.value:g} is below the leak {leak.value:g}; a cause cannot make the finding less likely",
                )
                ok = False
            out.append(Link(cid, state, e))
        for cid in dict.fromkeys(link.cause for link in out):
            given = {link.state for link in out if link.cause == cid}
            missing = [s for s in causes[cid].states[1:] if s not in given]
            if missing:
                self.p.add(
                    "findings",
                    f"{vid}.causes",
                    f"{cid} is linked but state(s) {', '.join(missing)} have no entry",
                )
                ok = False
        return tuple(out) if ok else None

    def accuracy(self, vid: str, raw: Any, causes: dict[str, Variable]) -> list[Accuracy]:
        out = []
        for cid, t in raw.items() if isinstance(raw, dict) else ():
            path = f"{vid}.reported_accuracy.{cid}"
            if cid not in causes:
                self.p.add("findings", path, f"unknown cause {quote(cid)}; {one_of(cid, causes)}")
                continue
            sens = self.entry(
                "findings",
                f"{path}.sensitivity",
                t.get("sensitivity") if isinstance(t, dict) else None,
            )
            spec = self.entry(
                "findings",
                f"{path}.specificity",
                t.get("specificity") if isinstance(t, dict) else None,
            )
            if sens is not None and spec is not None:
                out.append(Accuracy(vid, cid, sens, spec))
        return out

    def tags(self, path: str, raw: Any, known: dict[str, str]) -> frozenset[str]:
        """A list of advice tags, each declared in ``[advice_tags]``."""
        if raw is None:
            return frozenset()
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            self.p.add("triage", path, f"expected a list of advice tags, found {raw!r}")
            return frozenset()
        for t in raw:
            if t not in known:
                self.p.add("triage", path, f"unknown advice tag {quote(t)}; {one_of(t, known)}")
        return frozenset(t for t in raw if t in known)

    def level(self, path: str, raw: Any) -> Level | None:
        if raw not in LEVELS[1:]:
            self.p.add("triage", path, f"unknown level {raw!r}; {one_of(str(raw), LEVELS[1:])}")
            return None
        lvl: Level = raw
        return lvl

    def triage(
        self, causes: dict[str, Variable]
    ) -> tuple[
        list[TriageRule], dict[str, str], dict[str, str], dict[str, frozenset[str]], list[RedFlag]
    ]:
        raw = self.raw["triage"]
        tags_raw = raw.get("advice_tags", {})
        known_tags = (
            {str(k): str(v) for k, v in tags_raw.items()} if isinstance(tags_raw, dict) else {}
        )
        rules = []
        seen_rules: set[str] = set()
        for i, r in enumerate(raw.get("rule", [])):
            path = f"rule[{i}]"
            if not isinstance(r, dict):
                self.p.add("triage", path, "expected a table")
                continue
            target = str(r.get("cause", ""))
            cid, _, state = target.partition(".")
            if cid not in causes:
                self.p.add(
                    "triage",
                    f"{path}.cause",
                    f"unknown cause {quote(target)}; {one_of(cid, causes)}",
                )
                continue
            states = causes[cid].states
            state = state or states[-1]
            if state not in states[1:]:
                self.p.add(
                    "triage",
                    f"{path}.cause",
                    f"unknown state {quote(state)} of {cid}; {one_of(state, states[1:])}",
                )
                continue
            level = self.level(f"{path}.level", r.get("level"))
            if level is None:
                continue
            rid = str(r.get("id") or target)  # a second rule for one cause names itself
            if rid in seen_rules:
                self.p.add(
                    "triage", f"{path}.id", f"rule {quote(rid)} is given twice; give it an id"
                )
                continue
            seen_rules.add(rid)
            threshold = self.entry("triage", f"rule.{rid}.threshold", r.get("threshold"))
            reason = self.text("triage", path, r, "reason", required=True)
            advice = self.text("triage", path, r, "advice", required=True)
            tags = self.tags(f"{path}.tags", r.get("tags"), known_tags)
            avoid = self.tags(f"{path}.avoid", r.get("avoid"), known_tags)
            if threshold is not None:
                rules.append(TriageRule(cid, state, level, threshold, reason, advice, tags, avoid))
        general = raw.get("advice", {})
        missing = [lvl for lvl in LEVELS if not isinstance(general.get(lvl), str)]
        if missing:
            self.p.add("triage", "advice", f"missing advice text for level(s) {', '.join(missing)}")
        cause_advice: dict[str, str] = {}
        advice_tags: dict[str, frozenset[str]] = {}
        for key, value in raw.get("cause_advice", {}).items():
            cid, _, state = key.partition(".")
            path = f"cause_advice.{path_part(key)}"
            if cid not in causes or (state and state not in causes[cid].states):
                self.p.add("triage", path, f"unknown cause {quote(key)}; {one_of(cid, causes)}")
                continue
            if state == causes[cid].states[0]:  # advice shows for a likely cause, never its absence
                valid = ", ".join(f"{cid}.{s}" for s in causes[cid].states[1:])
                self.p.add(
                    "triage",
                    path,
                    f"advice for the cause absent is never shown; valid: {cid}, {valid}",
                )
                continue
            if isinstance(value, dict):
                for extra in sorted(set(value) - {"text", "tags"}):
                    self.p.add("triage", f"{path}.{extra}", "unknown field; valid: text, tags")
                text = self.text("triage", path, value, "text", required=True)
                tags = self.tags(f"{path}.tags", value.get("tags"), known_tags)
                if tags:
                    advice_tags[key] = tags
            elif isinstance(value, str):
                text = value
            else:
                self.p.add("triage", path, f"expected a text or {{ text, tags }}, found {value!r}")
                continue
            cause_advice[key] = text
        flags = self.red_flags(raw.get("red_flag", []), known_tags)
        return (rules, {k: str(v) for k, v in general.items()}, cause_advice, advice_tags, flags)

    def red_flags(self, raw: Any, known_tags: dict[str, str]) -> list[RedFlag]:
        """``[[red_flag]]`` tables: answers (findings or risk factors) that floor the level."""
        answerable = self.answerable
        out: list[RedFlag] = []
        fields = ("id", "when", "level", "reason", "advice", "source", "avoid")
        for i, r in enumerate(raw if isinstance(raw, list) else [raw]):
            path = f"red_flag[{i}]"
            if not isinstance(r, dict):
                self.p.add("triage", path, "expected a table")
                continue
            for extra in sorted(set(r) - set(fields)):
                self.p.add("triage", f"{path}.{extra}", f"unknown field; {one_of(extra, fields)}")
            fid = self.text("triage", path, r, "id", required=True)
            if fid and fid in {f.id for f in out}:
                self.p.add("triage", f"{path}.id", f"red flag {quote(fid)} is given twice")
            when = r.get("when")
            pairs: list[tuple[str, str]] = []
            if not isinstance(when, dict) or not when:
                self.p.add(
                    "triage", f"{path}.when", f'expected {{ finding = "yes", ... }}, found {when!r}'
                )
            else:
                for var, state in when.items():
                    if var == self.complaint:
                        self.p.add(
                            "triage",
                            f"{path}.when.{var}",
                            "the presenting complaint is 'yes' on every query, not an answer; "
                            "a red flag cannot name it",
                        )
                    elif var not in answerable:
                        self.p.add(
                            "triage",
                            f"{path}.when.{var}",
                            f"unknown finding or risk factor {quote(var)}; {one_of(var, answerable)}",
                        )
                    elif state not in answerable[var].states:
                        self.p.add(
                            "triage",
                            f"{path}.when.{var}",
                            f"unknown state {state!r}; {one_of(str(state), answerable[var].states)}",
                        )
                    else:
                        pairs.append((var, state))
            level = self.level(f"{path}.level", r.get("level"))
            reason = self.text("triage", path, r, "reason", required=True)
            advice = self.text("triage", path, r, "advice", required=True)
            sources = self.sources("triage", path, r.get("source"))
            avoid = self.tags(f"{path}.avoid", r.get("avoid"), known_tags)
            ok = isinstance(when, dict) and bool(pairs) and len(pairs) == len(when)
            if ok and level and sources and fid and reason and advice:
                out.append(RedFlag(fid, tuple(pairs), level, reason, advice, sources, avoid))
        return out


def load_spec(folder: str | os.PathLike[str] | None = None) -> ModelSpec:
    """Read and validate a priors folder (the shipped ``priors/`` by default).

    Raises
    ------
    PriorsError
        With every problem found in the folder, each naming file, key and what was wrong.

    Examples
    --------
    >>> spec = load_spec()
    >>> spec.variables["calf_strain"].states
    ('none', 'grade_1', 'grade_2', 'grade_3')
    """
    root = Path(folder) if folder is not None else DEFAULT_PRIORS
    raw = read_folder(root)
    problems = _Problems(root)
    for stem, data in raw.items():
        for path, message in check_file(stem, data):
            problems.add(stem, path, message)
    for stem, what in (
        ("risk_factors", "risk factor"),
        ("causes", "cause"),
        ("findings", "finding"),
        ("references", "reference"),
    ):
        if stem in raw and not any(isinstance(v, dict) for v in raw[stem].values()):
            # said once, not as an unknown id at every place that names one
            problems.add(
                stem, "", f"defines no {what}: each {what} is a [{what.replace(' ', '_')}_id] table"
            )
    if problems.items:  # the checks below assume well-shaped data
        raise PriorsError(problems.items)
    reader = _Reader(raw, problems)
    reader.references()
    rfs = reader.risk_factors()
    causes = reader.causes({k: v for k, v in reader.declared.items() if v.kind == "risk_factor"})
    cause_vars = {k: v for k, v in reader.declared.items() if v.kind == "cause"}
    findings, accuracy, categorical, presentation = reader.findings(
        set(reader.declared), cause_vars
    )
    rules, advice, cause_advice, advice_tags, red_flags = reader.triage(cause_vars)
    if problems.items:
        raise PriorsError(problems.items)
    return ModelSpec(
        tuple(rfs),
        tuple(causes),
        tuple(findings),
        tuple(rules),
        advice,
        cause_advice,
        dict(reader.refs),
        tuple(accuracy),
        str(root),
        tuple(red_flags),
        advice_tags,
        tuple(categorical),
        presentation,
        tuple(reader.exclusions),
    )
