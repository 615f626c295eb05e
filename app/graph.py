"""The network as Graphviz DOT text for ``st.graphviz_chart`` (no pygraphviz needed).

Top to bottom: risk factors, the causes in one rank shaded by their posterior, the
findings; answered nodes get a thick border and their answer in the label.
"""

from __future__ import annotations

from collections.abc import Mapping

from model import Diagnosis
from model.interfaces.questionnaire import answer_text
from model.interfaces.wording import short_pct
from model.priors.spec import ModelSpec


def shade(p: float) -> str:
    """A fill colour from white (0) to deep red (1), as #rrggbb.

    >>> shade(0.0), shade(1.0)
    ('#ffffff', '#c0392b')
    """
    p = min(max(p, 0.0), 1.0)
    r, g, b = (round(255 + (t - 255) * p**0.5) for t in (0xC0, 0x39, 0x2B))
    return f"#{r:02x}{g:02x}{b:02x}"


def _q(text: str) -> str:
    r"""A DOT quoted string; ``\n`` in ``text`` stays a DOT line break.

    >>> print(_q('say "hi"\\nthere'))
    "say \"hi\"\nthere"
    """
    return '"' + text.replace('"', '\\"') + '"'


def wrap(text: str, width: int = 16) -> str:
    r"""``text`` broken into DOT lines of about ``width`` characters, so that a rank stays narrow.

    >>> wrap("Deep vein thrombosis (DVT)")
    'Deep vein\\nthrombosis (DVT)'
    """
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\\n".join(lines)


def linked_part(spec: ModelSpec, answers: Mapping[str, str]) -> set[str]:
    """The answered questions and the causes they are linked to (what an answer can move).

    >>> from model import load_model
    >>> sorted(linked_part(load_model().spec, {"palpable_gap": "yes"}))
    ['achilles_rupture', 'calf_strain', 'myofascial_tightness', 'palpable_gap']
    """
    keep = set(answers)
    for vid in answers:
        keep.update(p for p in spec.parents(vid) if spec.variables[p].kind == "cause")
    for cause in spec.causes:
        if any(p in answers for p in cause.parents):
            keep.add(cause.variable.id)
    return keep


def network_dot(
    spec: ModelSpec, d: Diagnosis, answers: Mapping[str, str], whole: bool = False
) -> str:
    """DOT text of the network, top to bottom: risk factors, causes in one rank, findings.

    Causes are shaded by their posterior and answered nodes marked. Unless ``whole``, only
    the linked part of the answers is drawn (``linked_part``; with no answers, the causes).

    >>> from model import load_model
    >>> m = load_model()
    >>> dot = network_dot(m.spec, m.diagnose({"bruising": "yes"}), {"bruising": "yes"})
    >>> '"bruising"' in dot and "penwidth=3" in dot and "rank=same" in dot, '"cramping"' in dot
    (True, False)
    """
    variables = spec.variables
    linked = linked_part(spec, answers) if answers else set(spec.cause_ids)
    keep = set(variables) if whole else linked
    lines = [
        "digraph calfdx {",
        '  rankdir=TB; nodesep=0.18; ranksep=0.7; bgcolor="transparent"; newrank=true;',
        '  node [fontname="Helvetica", fontsize=14, style="filled,rounded", shape=box, '
        'fillcolor="#f4f6f8", color="#8a96a3", margin="0.15,0.06"];',
        '  edge [color="#9aa5b1", arrowsize=0.6];',
    ]

    def node(vid: str, label: str, extra: str = "") -> str:
        answer = answers.get(vid)
        if answer is not None:
            label += f"\\n= {answer_text(spec, vid, answer).split(': ', 1)[1]}"
            extra += ', penwidth=3, color="#1f4e79", fillcolor="#dbe9f6"'
        # the hover title: the label, not the id that an SVG title shows by default
        return f"{_q(vid)} [label={_q(label)}, tooltip={_q(variables[vid].label)}{extra}];"

    groups = (
        ("risk factors", [rf.variable.id for rf in spec.risk_factors]),
        ("causes", [c.variable.id for c in spec.causes]),
        ("findings", [f.variable.id for f in spec.findings]),
    )
    for name, ids in groups:
        shown = [v for v in ids if v in keep]
        if not shown:
            continue
        nodes = []
        for vid in shown:
            var = variables[vid]
            if name == "causes":
                p = d.probability(vid)
                font = "white" if p >= 0.5 else "black"
                nodes.append(
                    node(
                        vid,
                        f"{wrap(var.label)}\\n{short_pct(p)}",
                        f', shape=ellipse, fillcolor="{shade(p)}", fontcolor="{font}"',
                    )
                )
            else:
                nodes.append(node(vid, wrap(var.label)))
        lines.append("  { rank=same; " + " ".join(nodes) + " }")
    for vid in variables:
        for parent in spec.parents(vid):
            if vid in keep and parent in keep:
                hover = f"{variables[parent].label} → {variables[vid].label}"
                lines.append(f"  {_q(parent)} -> {_q(vid)} [tooltip={_q(hover)}];")
    lines.append("}")
    return "\n".join(lines)
