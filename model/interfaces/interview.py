"""``calfdx interview``: ask the most informative question next, then diagnose.

Which question (red flags first, as a clinician screens): first the answers of the red
flags (``priors/triage.toml``) that could still raise the level, most urgent first
(``red_flag_question``); then, while the triage is below urgent and some unasked
question has an answer that would make it urgent or more, or some rule at urgent or
above has a probability between a third of its threshold and the threshold
(``near_red_flag``), the question with the largest gain about the red flags; otherwise
the largest gain about the causes (``model.analysis.questions``).

When to stop: at once when the level is emergency (nothing can raise it and the runner
should go now); when the triage is settled, meaning no single remaining question has an
answer that would change the triage level (each answer of each unasked question is
computed exactly); when every question has been asked (an "unknown" answer counts as
asked); at ``max_questions``; on "quit"; or at the end of the input.

It reads lines with ``readline`` so piped input works, echoes each answer when the input
is not a terminal (so a transcript reads well), and re-asks on a bad answer, or one that
contradicts an earlier answer. Piped, a bad answer stops it with one line naming the input
line: the next line was written for the next question, so re-asking would shift every
answer after it onto the wrong question (and endless bad input would never stop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from model.analysis.questions import Question, rank_questions
from model.errors import EvidenceError, quote
from model.evidence import contradiction
from model.interfaces.formatting import format_table
from model.priors.spec import LEVELS, Level, ModelSpec, Variable
from model.triage import at_least, rule_probabilities, triage_level, urgent_rules

if TYPE_CHECKING:
    from model.api import DiagnosticModel

UNKNOWN_WORDS = ("u", "unknown", "?", "dk")
QUIT_WORDS = ("q", "quit", "exit")


def near_red_flag(model: DiagnosticModel, evidence: dict[str, str]) -> list[str]:
    """Rules at urgent or above whose probability lies in [threshold / 3, threshold), by target."""
    spec = model.spec
    probs = rule_probabilities(spec, model.marginals(model.spec.cause_ids, evidence))
    return [
        r.target
        for r in urgent_rules(spec)
        if r.threshold.value / 3 <= probs[r.target] < r.threshold.value
    ]


def red_flag_question(
    spec: ModelSpec, evidence: dict[str, str], asked: set[str], level: Level
) -> str | None:
    """The next red-flag answer to ask: of a flag more urgent than ``level`` that can still hold.

    Flags are taken most urgent first, in file order within a level.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> red_flag_question(spec, {}, set(), "self_care")
    'breathless_or_chest_pain'
    >>> red_flag_question(spec, {"pop_at_onset": "yes"}, {"pop_at_onset"}, "urgent")
    'breathless_or_chest_pain'
    """
    flags = sorted(spec.red_flags, key=lambda f: -LEVELS.index(f.level))
    for flag in flags:
        if at_least(level, flag.level):
            continue
        if any(
            (v in evidence and evidence[v] != s)
            or (v in asked and v not in evidence)
            or contradiction(spec.exclusions, {**evidence, v: s})
            for v, s in flag.when
        ):
            continue  # answered otherwise, unknown, or ruled out: this flag cannot hold
        for v, _ in flag.when:
            if v not in asked and v not in evidence:
                return v
    return None


def choose(questions: list[Question], red_flag: bool) -> Question:
    """The question to ask: largest red-flag gain when ``red_flag``, else largest gain."""
    if red_flag:
        return max(questions, key=lambda q: (q.red_flag_gain, q.gain))
    return max(questions, key=lambda q: (q.gain, q.red_flag_gain))


def parse_answer(variable: Variable, text: str) -> str | None:
    """The state a typed answer names: its number, id, label or a unique id prefix.

    Returns ``"unknown"`` or ``"quit"`` for those words, ``None`` when it names nothing.

    >>> v = Variable("age_group", "risk_factor", ("under_30", "30_to_44"), "Age")
    >>> [parse_answer(v, t) for t in ("2", "under_30", "UNDER 30", "30", "u", "q", "x")]
    ['30_to_44', 'under_30', 'under_30', '30_to_44', 'unknown', 'quit', None]
    """
    word = text.strip().lower()
    if word in UNKNOWN_WORDS:
        return "unknown"
    if word in QUIT_WORDS:
        return "quit"
    states = variable.states
    if word.isdigit() and 1 <= int(word) <= len(states):
        return states[int(word) - 1]
    for s in states:
        if word in (s.lower(), s.lower().replace("_", " "), variable.state_label(s).lower()):
            return s
    prefixed = [s for s in states if word and s.lower().startswith(word.replace(" ", "_"))]
    return prefixed[0] if len(prefixed) == 1 else None


def _prompt(q: Question, number: int, variable: Variable) -> str:
    flags = ", ".join(q.answers[0].red_flags)
    lines = [
        f"Q{number}. {q.text} [{q.variable}]",
        f"     (gain {q.gain:.3f} bits about the causes, {q.red_flag_gain:.3f} about {flags})",
    ]
    for i, a in enumerate(q.answers, 1):
        top = sorted(a.causes, key=lambda c: -a.causes[c])[:2]
        leads = ", ".join(f"{c} {a.causes[c]:.0%}" for c in top)
        lines.append(
            f"  {i}) {variable.state_label(a.state):<24} P={a.probability:6.1%} -> {a.level}; {leads}"
        )
    lines.append("  u) unknown   q) quit")
    return "\n".join(lines)


def run_interview(
    model: DiagnosticModel, stdin: TextIO, stdout: TextIO, max_questions: int | None = None
) -> dict[str, str]:
    """Run the question-and-answer loop, print the diagnosis, return the evidence gathered."""

    def say(text: str = "", end: str = "\n") -> None:
        stdout.write(text + end)
        stdout.flush()

    echo = not stdin.isatty()
    lines_read = 0
    evidence: dict[str, str] = {}
    asked: set[str] = set()
    say("calfdx interview: answer with a number or a word; u for unknown, q to quit.")
    reason = ""
    while not reason:
        level = triage_level(model.spec, model.marginals(model.spec.cause_ids, evidence), evidence)
        if level == LEVELS[-1]:
            reason = f"{level}: go now, no further answer would change that"
            break
        pending = rank_questions(model, evidence, exclude=asked)
        if not pending:
            reason = "no questions left"
            break
        flag_var = red_flag_question(model.spec, evidence, asked, level)
        if flag_var is None and not any(q.could_change(level) for q in pending):
            reason = f"triage settled at {level}: no single remaining answer would change it"
            break
        if max_questions is not None and len(asked) >= max_questions:
            reason = f"asked {max_questions} questions"
            break
        near = near_red_flag(model, evidence)
        screen = not at_least(level, "urgent") and any(
            at_least(a.level, "urgent") for q in pending for a in q.answers
        )
        flagged = [q for q in pending if q.variable == flag_var]
        q = flagged[0] if flagged else choose(pending, bool(near) or screen)
        variable = model.spec.variables[q.variable]
        say()
        if flagged:
            say("(red-flag question: asked first, whatever else you answer)")
        elif near:
            say(f"(red flag near its threshold: {', '.join(near)}; asking to settle it)")
        elif screen:
            say("(screening for red flags first)")
        say(_prompt(q, len(asked) + 1, variable))
        while True:
            say("answer> ", end="")
            try:
                line = stdin.readline()
            except KeyboardInterrupt:  # Ctrl-C: stop asking, still diagnose
                line = "quit\n"
                say()
            if not line:
                if echo:
                    say("<end of input>")
                reason = "end of input"
                break
            lines_read += 1
            if echo:
                say(line.strip())
            answer = parse_answer(variable, line)
            both = None
            if answer not in (None, "quit", "unknown"):
                both = contradiction(model.spec.exclusions, {**evidence, q.variable: str(answer)})
            if answer is None or both:
                choices = ", ".join(f"{i} or {s}" for i, s in enumerate(variable.states, 1))
                why = both or f"{quote(line.strip())} is not an answer to {q.variable}"
                if echo:  # piped: the next line was meant for the next question, so stop
                    raise EvidenceError(
                        f"line {lines_read}: {why}; valid: {choices}, u (unknown), q (quit)"
                    )
                say(f"{why}; please answer one of: {choices}; u (unknown); q (quit)")
                continue
            if answer == "quit":
                reason = "stopped at your request"
            else:
                asked.add(q.variable)
                if answer != "unknown":
                    evidence[q.variable] = answer
            break
    say()
    say(f"Stopped: {reason}.")
    given = " ".join(f"{k}={v}" for k, v in evidence.items()) or "(nothing)"
    say(f"Evidence: {given}")
    say()
    say(format_table(model.diagnose(evidence)))
    return evidence
