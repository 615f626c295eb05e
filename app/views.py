"""Plain tables and chart data the explorer shows, built from ``model/`` objects.

Every function here is pure: the same model and answers give the same frame, so the
page can cache them and the tests can check them without Streamlit.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from model import Diagnosis
from model.inference.tables import logit
from model.interfaces.questionnaire import answer_text
from model.interfaces.wording import cite_short, one_in, ref_anchor, ref_link, short_pct
from model.priors.keys import odds_ratio_terms, split_key
from model.priors.spec import Entry, ModelSpec, Variable, in_sentence
from model.triage import LEVEL_TITLES

NOW = "With your answers"
PRIOR = "With no answers"


def pct(p: float) -> str:
    """A probability as a percentage with sensible precision.

    >>> pct(0.1234), pct(0.004), pct(0.00004)
    ('12.3%', '0.40%', '<0.01%')
    """
    if p < 0.0001:
        return "<0.01%"
    return f"{p:.1%}" if p >= 0.01 else f"{p:.2%}"


def signed_pct(p: float) -> str:
    """A change in probability, in percentage points with a sign.

    >>> signed_pct(0.052), signed_pct(-0.3), signed_pct(0.0)
    ('+5.2 pts', '-30.0 pts', '0.0 pts')
    """
    if abs(p) < 0.0005:
        return "0.0 pts"
    return f"{p * 100:+.1f} pts"


def chart_data(d: Diagnosis) -> pd.DataFrame:
    """Long-form rows (cause, scenario, probability, rank) for the ranked bar chart."""
    rows = []
    for rank, c in enumerate(d.causes):
        for scenario, p in ((NOW, c.probability), (PRIOR, c.prior)):
            rows.append(
                {
                    "cause": c.label,
                    "scenario": scenario,
                    "probability": p,
                    "label": short_pct(p),  # Vega's ".0%" would print 0.5% as "0%"
                    "rank": rank,
                }
            )
    return pd.DataFrame(rows)


def ranking_table(d: Diagnosis, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ranked causes as text: id, probability now, with no answers, change, log-odds.

    With ``intervals`` (``Uncertainty.to_frame()``), a column of 90% intervals.
    """
    frame = pd.DataFrame(
        {
            "Cause": [c.label for c in d.causes],
            "Id": [c.id for c in d.causes],
            NOW: [pct(c.probability) for c in d.causes],
            PRIOR: [pct(c.prior) for c in d.causes],
            "Change": [signed_pct(c.probability - c.prior) for c in d.causes],
            "Log-odds": [f"{logit(c.probability):+.2f}" for c in d.causes],
        },
        index=pd.RangeIndex(1, len(d.causes) + 1, name="Rank"),
    )
    if intervals is not None:
        frame["90% interval"] = [
            f"{pct(intervals.loc[c.id, 'q05'])} to {pct(intervals.loc[c.id, 'q95'])}"
            for c in d.causes
        ]
    return frame


def runner_list(d: Diagnosis, shown: int = 6) -> str:
    """The most likely causes as HTML rows: name, "about 1 in N" and a bar (no numbers jargon).

    >>> from model import load_model
    >>> page = runner_list(load_model().diagnose({}), shown=2)
    >>> page.count("class='cx-row'"), "about 1 in" in page
    (2, True)
    """
    rows = []
    for c in d.causes[:shown]:
        width = max(0.5, 100 * c.probability)
        rows.append(
            "<div class='cx-row'>"
            f"<div class='cx-name'>{html.escape(c.label)}</div>"
            f"<div class='cx-words'>{one_in(c.probability)} "
            f"<span class='cx-pct'>({short_pct(c.probability)})</span></div>"
            f"<div class='cx-bar'><span style='width:{width:.1f}%'></span></div></div>"
        )
    return "".join(rows)


RUNNER_CSS = """<style>
.cx-row{display:grid;grid-template-columns:minmax(12rem,2fr) minmax(9rem,1.2fr) 2fr;gap:.6rem;
 align-items:center;padding:.3rem 0;border-bottom:1px solid #e8ecef}
.cx-name{font-weight:600}.cx-pct{color:#6b7680;font-size:.85em}
.cx-bar{background:#e8ecef;height:.8rem;border-radius:2px;overflow:hidden}
.cx-bar span{display:block;height:100%;background:#c0392b}
.st-key-banner_emergency{border:3px solid #7b0d0d;border-radius:.5rem;padding:.2rem;background:#fbe4e4}
</style>"""


def grade_table(
    d: Diagnosis, prior: Mapping[str, float], spec: ModelSpec, cause: str = "calf_strain"
) -> pd.DataFrame:
    """One row per state of a graded cause: its probability now and with no answers.

    ``prior`` is the cause's state distribution with no evidence (``model.priors``). The
    first state reads "No calf muscle strain", not "None".
    """
    var = spec.variables[cause]
    states = d.cause(cause).states
    names = [f"No {in_sentence(var.label)}"]
    names += [var.state_label(s).capitalize() for s in var.states[1:]]
    return pd.DataFrame(
        {
            "Grade": names,
            NOW: [pct(states[s]) for s in var.states],
            PRIOR: [pct(prior[s]) for s in var.states],
        }
    )


def compare_table(a: Diagnosis, b: Diagnosis) -> pd.DataFrame:
    """Scenario A beside scenario B, per cause, ranked by B, with B minus A."""
    rows = []
    for c in b.causes:
        pa = a.probability(c.id)
        rows.append(
            {
                "Cause": c.label,
                "A (pinned)": pct(pa),
                "B (current)": pct(c.probability),
                "B - A": signed_pct(c.probability - pa),
            }
        )
    return pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="Rank in B"))


def describe_answers(answers: dict[str, str], spec: ModelSpec) -> list[str]:
    """Each answered question as 'Label: state label', in the model's variable order.

    >>> from model import load_model
    >>> describe_answers({"recent_immobility": "yes", "one_leg_swelling": "yes"}, load_model().spec)
    ['Recent immobility: yes', 'One leg swollen: yes']
    """
    return [answer_text(spec, vid, answers[vid]) for vid in spec.variables if vid in answers]


def _cite(spec: ModelSpec, e: Entry) -> str:
    """The entry's sources by title and year, with its reason or note.

    >>> from model import load_model
    >>> spec = load_model().spec
    >>> _cite(spec, spec.entries["causes:doms.prevalence"]).startswith("expert estimate")
    True
    """
    text = "; ".join(cite_short(spec.references.get(k), k) for k in e.sources)
    detail = e.reason or e.note
    return f"{text} ({detail})" if detail else text


def cite_html(spec: ModelSpec, e: Entry) -> str:
    """``_cite`` as HTML, each published source linked to its bibliography entry."""
    parts = []
    for key in e.sources:
        ref = spec.references.get(key)
        text = html.escape(cite_short(ref, key))
        parts.append(f"<a href='#{ref_anchor(key)}'>{text}</a>" if ref is not None else text)
    detail = e.reason or e.note
    return "; ".join(parts) + (f" <small>({html.escape(detail)})</small>" if detail else "")


def bibliography_html(spec: ModelSpec, keys: list[str]) -> str:
    """The references ``keys`` as an HTML list, each with its anchor and DOI link."""
    items = []
    for key in dict.fromkeys(keys):
        ref = spec.references.get(key)
        if ref is None:
            continue
        link = ref_link(ref)
        where = html.escape(", ".join(x for x in (ref.journal, ref.file) if x))
        items.append(
            f"<li id='{ref_anchor(key)}'>{html.escape(ref.authors)} ({ref.year}). "
            f"<i>{html.escape(ref.title)}</i>{'. ' + where if where else ''}"
            + (
                f". <a href='{html.escape(link)}' target='_blank'>{html.escape(link)}</a>"
                if link
                else ""
            )
            + f" <small>[{html.escape(key)}]</small></li>"
        )
    return f"<ol>{''.join(items)}</ol>"


def numbers_html(spec: ModelSpec, frame: pd.DataFrame) -> str:
    """A ``cause_numbers`` frame as an HTML table whose sources link to the bibliography."""
    entries = spec.entries
    head = "".join(f"<th>{c}</th>" for c in ("Kind", "Number", "Value", "Range", "Source"))
    rows = []
    for _, r in frame.iterrows():
        cells = [html.escape(str(r[c])) for c in ("Kind", "Number", "Value", "Range")]
        cells.append(cite_html(spec, entries[r["Key"]]))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table class='cx-numbers'><tr>{head}</tr>{''.join(rows)}</table>"


def terms_label(variables: Mapping[str, Variable], terms: Sequence[tuple[str, str]]) -> str:
    """An odds ratio's parent states in words ("Recent immobility: Yes and ...")."""
    return " and ".join(f"{variables[p].label}: {variables[p].state_label(s)}" for p, s in terms)


def cause_numbers(
    spec: ModelSpec, cause: str, in_file: Mapping[str, Entry] | None = None
) -> pd.DataFrame:
    """Every number behind one cause: baseline, odds ratios, table rows, finding strengths.

    Columns: Kind, Number (what it is in words), Value, Range, Source, Key. With
    ``in_file`` (the entries as the priors files have them), a value that differs is
    marked "tried", with the file's value beside it.
    """
    variables = spec.variables
    var = variables[cause]
    node = next(c for c in spec.causes if c.variable.id == cause)
    rows: list[dict[str, str]] = []

    def add(kind: str, what: str, e: Entry, value: str | None = None) -> None:
        fmt = (lambda x: f"{x:g}") if e.kind == "odds_ratio" else pct
        shown = value or fmt(e.value)
        original = (in_file or {}).get(e.key)
        if original is not None and original.value != e.value:
            shown += f" (tried; file: {fmt(original.value)})"
        rows.append(
            {
                "Kind": kind,
                "Number": what,
                "Value": shown,
                "Range": f"{fmt(e.low)} to {fmt(e.high)}",
                "Source": _cite(spec, e),
                "Key": e.key,
            }
        )

    for e, state in zip(node.prevalence, var.states[1:], strict=True):
        what = "present" if len(var.states) == 2 else var.state_label(state)
        add("Prevalence", f"share of runners with calf pain who have it ({what})", e)
    for e, state in zip(node.baseline, var.states[1:], strict=False):
        what = "P(present)" if len(var.states) == 2 else f"P({var.state_label(state)})"
        add("Baseline", f"{what} with every risk factor at its lowest-risk state", e)
    for o in node.odds_ratios:
        kind = "Odds ratio" if not o.also else "Interaction odds ratio"
        add(kind, terms_label(variables, o.terms), o.entry)
    if node.table is not None:
        for r in node.table.rows:
            given = ", ".join(
                f"{variables[p].label}: {variables[p].state_label(s)}"
                for p, s in zip(node.table.parents, r.parent_states, strict=True)
            )
            if r.entry is not None:
                add("Table row", f"P(present) given {given}", r.entry)
    for f in spec.findings:
        for link in f.links:
            if link.cause == cause:
                grade = "" if len(var.states) == 2 else f" ({var.state_label(link.state)})"
                add("Finding strength", f"P({f.variable.label}){grade}", link.entry)
    for rule in spec.rules:
        if rule.cause == cause:
            said = f"raises triage to '{level_words(rule.level)}' ({rule.reason})"
            add("Triage threshold", said, rule.threshold)
    return pd.DataFrame(rows)


def _variable(spec: ModelSpec, vid: str) -> Variable | None:
    """A variable by id, the presenting complaint included (it is not a question)."""
    var = spec.variables.get(vid)
    if var is None and spec.presentation is not None and spec.presentation.variable.id == vid:
        return spec.presentation.variable
    return var


def target_label(spec: ModelSpec, target: str, worse: bool = False) -> str:
    """A cause, or ``cause.state`` for one grade, in words ("Calf muscle strain (grade 3)").

    A graded cause on its own is any of its grades; ``worse`` reads a grade as "or worse"
    (how a triage rule reads it).

    >>> from model import load_model
    >>> spec = load_model().spec
    >>> target_label(spec, "calf_strain.grade_3"), target_label(spec, "calf_strain")
    ('Calf muscle strain (grade 3)', 'Calf muscle strain (any grade)')
    """
    cid, _, state = target.partition(".")
    var = spec.variables.get(cid)
    if var is None:
        return target
    if state:
        return f"{var.label} ({var.state_label(state)}{' or worse' if worse else ''})"
    return f"{var.label} (any grade)" if len(var.states) > 2 else var.label


def level_words(level: str) -> str:
    """A triage level as the banner words it ("Book an assessment with a clinician")."""
    return LEVEL_TITLES.get(level, level.replace("_", " "))


def entry_label(spec: ModelSpec, key: str) -> str:
    """A readable name for a prior number, from its key.

    >>> from model import load_model
    >>> spec = load_model().spec
    >>> entry_label(spec, 'causes:dvt.odds_ratios."recent_immobility.yes"')
    'Deep vein thrombosis (DVT): odds ratio for Recent immobility: Yes'
    >>> entry_label(spec, "triage:rule.calf_strain.grade_3.threshold")
    "Triage threshold for Calf muscle strain (grade 3 or worse): raises triage to 'Seek medical care today'"
    >>> entry_label(spec, 'findings:symptom_duration.causes."calf_strain.grade_1".days')
    'How long it has lasted: P(under a week) with Calf muscle strain (grade 1)'
    """
    stem, parts = split_key(key)
    path = ".".join(parts)
    variables = spec.variables
    if stem == "triage":
        rule = next((r for r in spec.rules if r.threshold.key == key), None)
        if rule is None:
            return f"Triage threshold: {path.removeprefix('rule.').removesuffix('.threshold')}"
        what = target_label(spec, rule.target, worse=True)
        return f"Triage threshold for {what}: raises triage to '{level_words(rule.level)}'"
    head, rest = parts[0], ".".join(parts[1:])
    var = _variable(spec, head)
    name = var.label if var is not None else head
    if stem == "risk_factors" and var is not None:
        state = rest.rsplit(".", 1)[-1]
        return f"{name}: share who answer '{var.state_label(state)}'"
    if rest.startswith("odds_ratios."):
        terms = odds_ratio_terms(parts[-1])
        if all(p in variables for p, _ in terms):
            return f"{name}: odds ratio for {terms_label(variables, terms)}"
    # a finding with more than two answers (how long it has lasted) names the answer last
    answer = ""
    if stem == "findings" and var is not None and len(var.states) > 2 and parts[-1] in var.states:
        answer = in_sentence(var.state_label(parts[-1]))
        rest = ".".join(parts[1:-1])
    said = f"P({answer})" if answer else "P(yes)"
    if rest.startswith("causes."):
        cause = rest.removeprefix("causes.")
        if cause.split(".", 1)[0] in variables:
            return f"{name}: {said} with {target_label(spec, cause)}"
    if rest == "leak":
        return f"{name}: leak ({said} with none of its causes)"
    for kind in ("baseline", "prevalence"):
        if rest.startswith(kind) and var is not None:
            grade = rest.removeprefix(kind).lstrip(".")
            return f"{name}: {kind}" + (f" ({var.state_label(grade)})" if grade else "")
    return f"{name}: {rest}" if rest else name


def case_problem(message: str) -> str:
    """A saved-answers file's problem for the sidebar: the list of valid ids left out.

    >>> case_problem("d.json: unknown variable 'bruisin'; valid: age_group, bruising (did you mean 'bruising'?)")
    "This saved answers file cannot be opened: d.json: unknown variable 'bruisin' (did you mean 'bruising'?). It may come from another version of calfdx."
    """
    head, _, rest = message.partition("; valid: ")
    at = rest.find(" (did you mean")
    hint = rest[at:] if at >= 0 else ""
    return (
        f"This saved answers file cannot be opened: {head}{hint}. It may come from another "
        "version of calfdx."
    )
