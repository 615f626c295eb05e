"""The network as Graphviz DOT text for ``st.graphviz_chart`` (no pygraphviz needed).

Risk factors on the left, causes in the middle shaded by their posterior, findings on
the right; answered nodes get a thick border and their answer in the label.
"""

from __future__ import annotations

from collections.abc import Mapping

from model import Diagnosis
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


def network_dot(
    spec: ModelSpec, d: Diagnosis, answers: Mapping[str, str], answered_only: bool = False
) -> str:
    """DOT text of the network, causes shaded by posterior, evidence marked.

    With ``answered_only`` the unanswered risk factors and findings are left out, which
    keeps the drawing small once a few questions are answered.

    >>> from model import load_model
    >>> m = load_model()
    >>> dot = network_dot(m.spec, m.diagnose({"bruising": "yes"}), {"bruising": "yes"})
    >>> dot.startswith("digraph") and '"bruising"' in dot and "penwidth=3" in dot
    True
    """
    variables = spec.variables
    lines = [
        "digraph calfdx {",
        '  rankdir=LR; nodesep=0.08; ranksep=1.2; bgcolor="transparent";',
        '  node [fontname="Helvetica", fontsize=11, style="filled,rounded", shape=box, '
        'fillcolor="#f4f6f8", color="#8a96a3"];',
        '  edge [color="#b8c0c8", arrowsize=0.5];',
    ]
    shown: set[str] = set()

    def node(vid: str, label: str, extra: str = "") -> None:
        shown.add(vid)
        answer = answers.get(vid)
        if answer is not None:
            label += f"\\n= {variables[vid].state_label(answer)}"
            extra += ', penwidth=3, color="#1f4e79", fillcolor="#dbe9f6"'
        lines.append(f"  {_q(vid)} [label={_q(label)}{extra}];")

    groups = (
        ("risk factors", [rf.variable.id for rf in spec.risk_factors]),
        ("causes", [c.variable.id for c in spec.causes]),
        ("findings", [f.variable.id for f in spec.findings]),
    )
    for name, ids in groups:
        lines.append(
            f"  subgraph {_q('cluster_' + name)} {{ label={_q(name.capitalize())}; "
            'color="#dde3e8"; fontname="Helvetica"; fontsize=12;'
        )
        for vid in ids:
            var = variables[vid]
            if name == "causes":
                p = d.probability(vid)
                fill = shade(p)
                font = "white" if p >= 0.5 else "black"
                node(
                    vid,
                    f"{var.label}\\n{p:.0%}",
                    f', shape=ellipse, fillcolor="{fill}", fontcolor="{font}"',
                )
            elif not answered_only or vid in answers:
                node(vid, var.label)
        lines.append("  }")
    for vid in variables:
        for parent in spec.parents(vid):
            if vid in shown and parent in shown:
                lines.append(f"  {_q(parent)} -> {_q(vid)};")
    lines.append("}")
    return "\n".join(lines)
