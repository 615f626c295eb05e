"""A one-page case summary to take to the clinic: one self-contained, printable HTML file.

What a clinician needs to review the basis of the advice, rather than rely on it (FDA
2022 guidance on clinical decision support software, criterion 4): the answers given
and the questions left unanswered; the triage level with its reasons and the rules
behind it; every cause with its probability and an uncertainty interval (every prior
number drawn across its plausible range, ``model.analysis.sensitivity.propagate``); the
numbers and sources behind the top causes; the model version and the disclaimer.

``calfdx report [id=state ...] [--case FILE] -o OUT.html`` writes it, and so does the
explorer's download button. No network access, scripts or external files: the page
prints as it shows.

>>> from model import load_model
>>> page = build_report(load_model(), {"one_leg_swelling": "yes"}, draws=5)
>>> page.startswith("<!DOCTYPE html>") and "One leg swollen: yes" in page
True
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from model.interfaces.questionnaire import answer_text, question_groups
from model.interfaces.version import model_version
from model.interfaces.wording import cite_short, one_in, ref_anchor, ref_link, short_pct
from model.priors.spec import Entry, ModelSpec
from model.results import Diagnosis
from model.triage import DISCLAIMER, rule_probabilities

if TYPE_CHECKING:
    from model.analysis.sensitivity import Uncertainty
    from model.api import DiagnosticModel

DRAWS = 40  # each draw re-solves the baselines and updates the engine (about 0.2 s)
TOP = 3
CRITERION_4 = (
    "This summary shows the basis of the advice (the answers, the rules and their "
    "thresholds, the numbers and their published sources) so that a clinician can review "
    "it independently and does not have to rely on it: criterion 4 of the FDA guidance "
    "Clinical Decision Support Software (2022)."
)
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d2329;
 max-width:60rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:1.4rem 0 .4rem;
 border-bottom:1px solid #d5dbe1;padding-bottom:.15rem}h3{font-size:1rem;margin:1rem 0 .3rem}
.meta{color:#56616c;font-size:.9rem}
.level{border-left:6px solid;padding:.5rem .9rem;margin:.6rem 0;border-radius:3px}
.emergency{border-color:#7b0d0d;background:#fbe4e4}.urgent{border-color:#c0392b;background:#fdecea}
.see_clinician{border-color:#e0a100;background:#fff6dc}.self_care{border-color:#4c956c;background:#e8f4ec}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{text-align:left;padding:.22rem .4rem;
 border-bottom:1px solid #e3e7eb;vertical-align:top}th{font-weight:600;background:#f4f6f8}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.bar{background:#e3e7eb;height:.7rem;width:9rem;position:relative;display:inline-block}
.bar span{position:absolute;top:0;bottom:0;background:#c0392b}
.bar i{position:absolute;top:-.15rem;bottom:-.15rem;border-left:1px solid #1d2329;border-right:1px solid #1d2329;background:rgba(29,35,41,.08)}
.small{font-size:.85rem;color:#56616c}ul{margin:.2rem 0 .2rem 1.2rem;padding:0}
.disclaimer{margin-top:1.5rem;padding:.6rem .9rem;background:#f4f6f8;border-radius:3px}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}
 tr,.level{break-inside:avoid}a{color:inherit;text-decoration:none}}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _sources(spec: ModelSpec, entry: Entry, cited: dict[str, None]) -> str:
    """The entry's sources as links to the bibliography at the end (and ``cited`` grows)."""
    parts = []
    for key in entry.sources:
        ref = spec.references.get(key)
        if ref is None:
            parts.append(_e(cite_short(None, key)))
            continue
        cited.setdefault(key)
        parts.append(f'<a href="#{ref_anchor(key)}">{_e(cite_short(ref, key))}</a>')
    text = "; ".join(parts)
    detail = entry.reason or entry.note
    return text + (f' <span class="small">({_e(detail)})</span>' if detail else "")


def _value(e: Entry) -> str:
    return f"{e.value:g}" if e.kind == "odds_ratio" else short_pct(e.value)


def _range(e: Entry) -> str:
    return (
        f"{e.low:g} to {e.high:g}"
        if e.kind == "odds_ratio"
        else f"{short_pct(e.low)} to {short_pct(e.high)}"
    )


def _answers(spec: ModelSpec, evidence: Mapping[str, str]) -> str:
    rows = []
    for g in question_groups(spec):
        given = [answer_text(spec, v, evidence[v]) for v in g.ids if v in evidence]
        left = [
            spec.variables[v].question or spec.variables[v].label
            for v in g.ids
            if v not in evidence
        ]
        rows.append(
            f"<h3>{_e(g.title)}</h3><p><b>Answered ({len(given)}):</b> "
            + (_e("; ".join(given)) if given else "<i>none</i>")
            + "</p>"
            + (
                f'<details open><summary class="small">Left unanswered ({len(left)})</summary>'
                f'<ul class="small">{"".join(f"<li>{_e(q)}</li>" for q in left)}</ul></details>'
                if left
                else ""
            )
        )
    return "".join(rows)


def _triage(model: DiagnosticModel, d: Diagnosis, cited: dict[str, None]) -> str:
    spec = model.spec
    t = d.triage
    probs = rule_probabilities(spec, {c.id: list(c.states.values()) for c in d.causes})
    reasons = "".join(f"<li>{_e(r)}</li>" for r in t.reasons)
    advice = "".join(f"<li>{_e(a)}</li>" for a in t.advice)
    rows = []
    for rule in sorted(spec.rules, key=lambda r: -probs[r.target]):
        p = probs[rule.target]
        fired = p >= rule.threshold.value
        rows.append(
            f"<tr><td>{'<b>reached</b>' if fired else 'not reached'}</td>"
            f"<td>{_e(rule.reason)}</td><td>{_e(rule.level.replace('_', ' '))}</td>"
            f'<td class="num">{short_pct(rule.threshold.value)}</td>'
            f'<td class="num">{short_pct(p)}</td>'
            f"<td>{_sources(spec, rule.threshold, cited)}</td></tr>"
        )
    return (
        f'<div class="level {_e(t.level)}"><b>{_e(t.title)}</b> '
        f'<span class="small">(level: {_e(t.level)})</span><ul>{reasons}</ul></div>'
        f"<h3>What to do</h3><ul>{advice}</ul>"
        "<h3>The rules behind the level</h3>"
        '<p class="small">A rule raises the level when the probability of its cause reaches '
        "its threshold; the highest level reached is the triage. Thresholds are kept in the "
        "priors files with a source and a plausible range.</p>"
        "<table><tr><th>Now</th><th>Rule</th><th>Raises to</th><th>Threshold</th>"
        f"<th>Probability now</th><th>Source of the threshold</th></tr>{''.join(rows)}</table>"
    )


def _bar(p: float, low: float | None, high: float | None) -> str:
    span = ""
    if low is not None and high is not None:
        span = f'<i style="left:{100 * low:.1f}%;width:{max(0.5, 100 * (high - low)):.1f}%"></i>'
    return f'<span class="bar"><span style="width:{100 * p:.1f}%"></span>{span}</span>'


def _causes(d: Diagnosis, u: Uncertainty | None) -> str:
    frame = u.to_frame() if u is not None else None
    rows = []
    for rank, c in enumerate(d.causes, 1):
        low = high = None
        if frame is not None and c.id in frame.index:
            low, high = float(frame.loc[c.id, "q05"]), float(frame.loc[c.id, "q95"])
        interval = (
            f"{short_pct(low)} to {short_pct(high)}"
            if low is not None and high is not None
            else "-"
        )
        grades = ""
        if len(c.states) > 2:
            grades = (
                '<br><span class="small">'
                + _e(
                    ", ".join(
                        f"{s.replace('_', ' ')} {short_pct(p)}"
                        for s, p in list(c.states.items())[1:]
                    )
                )
                + "</span>"
            )
        rows.append(
            f'<tr><td class="num">{rank}</td><td>{_e(c.label)}{grades}</td>'
            f'<td class="num">{short_pct(c.probability)}</td><td>{_e(one_in(c.probability))}</td>'
            f'<td class="num">{interval}</td><td>{_bar(c.probability, low, high)}</td>'
            f'<td class="num">{short_pct(c.prior)}</td></tr>'
        )
    note = (
        f"90% interval: the middle 90% of the probability over {u.draws} random settings of "
        "every prior number across its plausible range (the box on the bar)."
        if u is not None
        else "No uncertainty interval was computed."
    )
    return (
        "<table><tr><th>#</th><th>Cause</th><th>Probability</th><th>In words</th>"
        f"<th>90% interval</th><th></th><th>With no answers</th></tr>{''.join(rows)}</table>"
        f'<p class="small">{_e(note)}</p>'
    )


def _numbers(model: DiagnosticModel, d: Diagnosis, cited: dict[str, None], top: int) -> str:
    from model.analysis.explain import explain

    spec = model.spec
    out = []
    for c in d.causes[:top]:
        node = next(n for n in spec.causes if n.variable.id == c.id)
        rows = []
        var = node.variable
        for e, state in zip(node.baseline, var.states[1:], strict=False):
            what = "present" if len(var.states) == 2 else var.state_label(state)
            rows.append(
                f"<tr><td>Baseline: P({_e(what)}) with every risk factor at its lowest-risk "
                f'state</td><td>-</td><td class="num">{_value(e)}</td>'
                f'<td class="num">{_range(e)}</td><td>{_sources(spec, e, cited)}</td></tr>'
            )
        if d.evidence:
            x = explain(model, d.evidence, c.id)
            for contribution in x.contributions:
                what = answer_text(spec, contribution.variable, contribution.state)
                for e in contribution.numbers or ():
                    rows.append(
                        f"<tr><td>{_e(what)}<br><span class='small'>{_e(e.key)}</span></td>"
                        f'<td class="num">{contribution.log_odds:+.2f}</td>'
                        f'<td class="num">{_value(e)}</td><td class="num">{_range(e)}</td>'
                        f"<td>{_sources(spec, e, cited)}</td></tr>"
                    )
                if not contribution.numbers:
                    rows.append(
                        f"<tr><td>{_e(what)}</td><td class='num'>{contribution.log_odds:+.2f}</td>"
                        "<td colspan=3 class='small'>acts through other causes (no direct number)</td></tr>"
                    )
        out.append(
            f"<h3>{_e(c.label)}: {short_pct(c.probability)} (with no answers {short_pct(c.prior)})</h3>"
            "<table><tr><th>Number</th><th>Share of the change (log-odds)</th><th>Value</th>"
            f"<th>Plausible range</th><th>Source</th></tr>{''.join(rows)}</table>"
        )
    return (
        '<p class="small">For each answer: its share of the change in the cause\'s log-odds '
        "(Shapley average over every order of answering, or a fixed order past eight answers), "
        "and the prior numbers that tie it to the cause. A finding's number is P(finding | only "
        "this cause present); a risk factor's is an odds ratio.</p>" + "".join(out)
    )


def _bibliography(spec: ModelSpec, cited: Sequence[str]) -> str:
    items = []
    for key in cited:
        ref = spec.references[key]
        link = ref_link(ref)
        where = ", ".join(x for x in (ref.journal, ref.file) if x)
        items.append(
            f'<li id="{ref_anchor(key)}">{_e(ref.authors)} ({ref.year}). <i>{_e(ref.title)}</i>'
            + (f". {_e(where)}" if where else "")
            + (f'. <a href="{_e(link)}">{_e(link)}</a>' if link else "")
            + f' <span class="small">[{_e(key)}]</span></li>'
        )
    return f"<ol>{''.join(items)}</ol>" if items else "<p><i>No published source cited.</i></p>"


def build_report(
    model: DiagnosticModel,
    evidence: Mapping[str, str],
    draws: int = DRAWS,
    seed: int = 0,
    top: int = TOP,
    when: dt.datetime | None = None,
) -> str:
    """The case summary as one HTML page (see the module docstring).

    Parameters
    ----------
    model, evidence
        The model and the answers given (unanswered questions left out).
    draws
        Random settings of the priors for the intervals (0: no intervals).
    seed
        Seed of those draws: the same seed gives the same page.
    top
        How many of the most probable causes get their numbers and sources listed.
    when
        The time printed on the page (now when not given).
    """
    from model.analysis.sensitivity import propagate

    spec = model.spec
    d = model.diagnose(evidence)
    u = propagate(model, d.evidence, draws=draws, seed=seed, thresholds=False) if draws else None
    cited: dict[str, None] = {}
    when = when or dt.datetime.now().astimezone()
    body = (
        "<h1>Calf and lower-leg pain: case summary for a clinician</h1>"
        f'<p class="meta">Made {_e(when.strftime("%Y-%m-%d %H:%M"))} by {_e(model_version(spec))}. '
        f"{_e(DISCLAIMER)}</p>"
        f"<h2>Triage</h2>{_triage(model, d, cited)}"
        f"<h2>Answers</h2>{_answers(spec, d.evidence)}"
        f"<h2>Causes, most likely first</h2>{_causes(d, u)}"
        f"<h2>The numbers behind the top causes</h2>{_numbers(model, d, cited, top)}"
        f"<h2>Sources</h2>{_bibliography(spec, list(cited))}"
        f'<div class="disclaimer"><b>Decision support, not a diagnosis.</b> {_e(DISCLAIMER)} '
        f"{_e(CRITERION_4)}</div>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>calfdx case summary</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
