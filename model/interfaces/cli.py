"""The ``calfdx`` command line: diagnose, report, interview, batch, export, validate, vocabulary.

Bad input exits with status 2 and one line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from model.api import DiagnosticModel, load_model
from model.errors import CalfdxError, EvidenceError, PriorsError, quote
from model.inference.formats import FORMATS
from model.interfaces.formatting import format_table
from model.priors.loader import load_spec
from model.triage import DISCLAIMER

if TYPE_CHECKING:
    import pandas as pd

CASE_HELP = 'a saved case, {"version": 1, "evidence": {id: state}} (id=state words win)'


class UsageError(CalfdxError):
    """A malformed command line item."""


class BadRowError(CalfdxError):
    """A row of a batch file cannot be scored."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so temporary files are removed."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _stopped(err: BaseException) -> int:
    """Say why the run stopped; return the shell's code for that signal."""
    if isinstance(err, Terminated):
        print("calfdx: terminated", file=sys.stderr)
        return 143
    print("calfdx: interrupted", file=sys.stderr)
    return 130


def parse_items(items: Sequence[str]) -> list[tuple[str, str]]:
    """Turn ``id=state`` words into pairs.

    >>> parse_items(["one_leg_swelling=yes", "age_group=45_to_59"])
    [('one_leg_swelling', 'yes'), ('age_group', '45_to_59')]
    """
    pairs = []
    for item in items:
        var, sep, state = item.partition("=")
        if not sep or not var or not state:
            raise EvidenceError(f"expected id=state, found {quote(item)} (see 'calfdx vocabulary')")
        pairs.append((var.strip(), state.strip()))
    return pairs


def _model(args: argparse.Namespace, queries: str = "many") -> DiagnosticModel:
    """The model of ``--priors``, with the enumeration engine for ``queries="few"`` if it fits.

    Both engines are exact (they agree to 1e-9); enumeration builds and answers in about
    0.3 s, less than it takes to load the fast engine's compiled kernel, so ``diagnose``
    starts faster with it. Commands that ask many posteriors use the fast engine.
    """
    if queries == "few":
        model = DiagnosticModel(load_spec(args.priors), "enumeration")
        if not getattr(model.engine, "too_large", False):
            return model
    return load_model(args.priors)


def _evidence(model: DiagnosticModel, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The answers of ``--case FILE`` (if given), then the ``id=state`` words (which win)."""
    from model.interfaces.case import read_case

    given = parse_items(args.items)
    if not args.case:
        return given
    words = {v for v, _ in given}
    saved = read_case(args.case, model.variables)
    return [(v, s) for v, s in saved.items() if v not in words] + given


def cmd_diagnose(args: argparse.Namespace) -> int:
    """Print the ranked causes and triage, and the waterfall of ``--explain CAUSE[=STATE]``."""
    model = _model(args, queries="few")
    cause, _, state = (args.explain or "").partition("=")
    var = model.variables.get(cause.strip())
    if var is not None and var.kind != "cause":  # an answer taken as --explain's value
        raise UsageError(
            f"--explain {args.explain}: {var.id} is an answer, not a cause; give the cause "
            f"after it (--explain dvt), or write --explain= and put the answers after it"
        )
    # the numbers behind the level (each answer's share) are shown only with --explain
    d = model.diagnose(_evidence(model, args), explained=args.explain is not None)
    explanation = None
    if args.explain:
        explanation = model.explain(d.evidence, cause.strip(), state.strip() or None)
    if args.json:
        out = d.to_dict()
        if args.explain is not None:
            out["triage"]["details"] = list(d.triage.details)
        if explanation is not None:
            out["explanation"] = explanation.to_dict()
        print(json.dumps(out, indent=2))
    else:
        print(format_table(d, details=args.explain is not None))
        if explanation is not None:
            print(f"\n{explanation}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the case summary for a clinician as one printable HTML page."""
    from model.atomic import write_text_atomic
    from model.interfaces.report import build_report

    if args.draws < 0:
        raise UsageError(
            f"--draws must be 0 (no intervals) or a positive whole number, found {args.draws}"
        )
    model = _model(args)
    evidence = model.check(_evidence(model, args))
    page = build_report(model, evidence, draws=args.draws, seed=args.seed)
    write_text_atomic(args.out, page)  # a full disk leaves the old page, not half a new one
    print(
        f"wrote {args.out}: {len(evidence)} answer(s), triage {model.diagnose(evidence).triage.level}"
    )
    return 0


def cmd_interview(args: argparse.Namespace) -> int:
    """Ask the most informative question next until the triage is settled (``model.interfaces.interview``)."""
    from model.interfaces.interview import run_interview

    if args.max_questions is not None and args.max_questions < 0:
        raise UsageError(
            f"--max-questions must be 0 or a positive whole number, found {args.max_questions}"
        )
    run_interview(_model(args), sys.stdin, sys.stdout, max_questions=args.max_questions)
    return 0


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one existing file, by any spelling, link or hard link."""
    return a.exists() and b.exists() and a.samefile(b)


def _check_batch_args(args: argparse.Namespace, model: DiagnosticModel, errors_path: Path) -> None:
    if args.chunksize < 1:
        raise UsageError(f"--chunksize must be a positive whole number, found {args.chunksize}")
    if Path(args.out).is_dir():
        raise UsageError(
            f"-o {args.out}: is a folder; give a file name such as {Path(args.out) / 'results.csv'}"
        )
    # the results replace OUT, and every run replaces or removes OUT.errors.csv
    source = Path(args.input)
    other = source.with_name(f"{source.with_suffix('').name}.results{source.suffix}")
    for written, what in (
        (Path(args.out), "is the input file, which the results would replace"),
        (errors_path, f"the run replaces or removes {errors_path}, which is the input file"),
    ):
        if _same_file(source, written):
            raise UsageError(
                f"-o {args.out}: {what}; write the results to another file, such as {other}"
            )
    for column in args.id:
        if column in model.variables:
            raise UsageError(f"--id {quote(column)}: is a variable id; give a column of case ids")


def _with_ids(
    frame: pd.DataFrame, unit: str, numbers: Sequence[int], ids: pd.DataFrame
) -> pd.DataFrame:
    """``frame`` with the row numbers and the case-id columns in front."""
    import pandas as pd

    out = frame.reset_index(drop=True)
    front = ids.reset_index(drop=True)
    front.insert(0, unit, list(numbers))
    return pd.concat([front, out], axis=1)


def cmd_batch(args: argparse.Namespace) -> int:
    """Score a CSV or Parquet table of cases in chunks; write one result row per case.

    Rows are named by their line in a CSV file (row in a Parquet file), in messages and
    in the first column of the results and of ``OUT.errors.csv``; ``--id`` columns are
    carried through to both.
    """
    import pandas as pd
    from tqdm import tqdm

    from model.analysis.batch import BadRow, Scored, score
    from model.interfaces.batch_files import AtomicTableWriter, TableError, read_chunks

    model = _model(args)
    out = Path(args.out)
    errors_path = out.with_name(f"{out.with_suffix('').name}.errors.csv")
    _check_batch_args(args, model, errors_path)
    bad_rows: list[tuple[BadRow, pd.DataFrame]] = []
    memo: dict[bytes, Scored] = {}
    cases = blank = 0
    unit = "row"
    with (
        AtomicTableWriter(out) as writer,
        tqdm(desc="cases", unit=" rows", disable=args.quiet or None, file=sys.stderr) as bar,
    ):
        for chunk in read_chunks(args.input, args.chunksize, args.skip_bad):
            unit, frame = chunk.unit, chunk.frame
            missing = [c for c in args.id if c not in frame.columns]
            if missing and len(frame.columns):
                raise UsageError(
                    f"{args.input}: --id {quote(missing[0])}: no such column; "
                    f"columns: {', '.join(map(str, frame.columns))}"
                )
            ids = frame[list(args.id)]
            result, bad = score(
                model,
                frame.drop(columns=list(args.id)),
                memo=memo,
                numbers=chunk.numbers,
                unit=unit,
            )
            bad += [BadRow(line, reason, "line") for line, reason in chunk.ragged]
            bad.sort(key=lambda b: b.row)
            if bad and not args.skip_bad:
                hint = "use --skip-bad to set such rows aside"
                if bad[0].reason.startswith("unknown column") and not args.id:
                    hint = "a column of case ids? give it with --id COLUMN; or " + hint
                raise BadRowError(f"{args.input}: {bad[0]} ({hint})")
            position = {int(n): i for i, n in enumerate(chunk.numbers)}
            for b in bad:
                i = position.get(b.row)
                row_ids = (
                    ids.iloc[[i]] if i is not None else pd.DataFrame(columns=ids.columns, index=[0])
                )
                bad_rows.append((b, row_ids))
            kept = [position[int(n)] for n in chunk.numbers if int(n) not in {b.row for b in bad}]
            good = frame.index[kept]
            writer.write(
                _with_ids(result.loc[good], unit, chunk.numbers[kept].tolist(), ids.loc[good])
            )
            cases += len(frame) + len(chunk.ragged)
            blank += chunk.blank
            bar.update(len(frame))
        if cases == 0:
            where = "line 2: " if unit == "line" else ""
            raise TableError(f"{args.input}: {where}no cases after the header")
        if bad_rows:
            with AtomicTableWriter(errors_path) as errors:
                errors.write(
                    _with_ids(
                        pd.DataFrame({"reason": [b.reason for b, _ in bad_rows]}),
                        unit,
                        [b.row for b, _ in bad_rows],
                        pd.concat([i for _, i in bad_rows], ignore_index=True)
                        if args.id
                        else pd.DataFrame(index=range(len(bad_rows))),
                    )
                )
    if not bad_rows:
        errors_path.unlink(missing_ok=True)  # a clean rerun leaves no stale errors file
    skipped = f" ({blank} empty line(s) skipped)" if blank else ""
    print(f"wrote {out}: {cases - len(bad_rows)} case(s){skipped}", file=sys.stderr)
    if bad_rows:
        print(f"set aside {len(bad_rows)} bad row(s) in {errors_path}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the network to a BIF or XMLBIF file (format from ``--format`` or the extension)."""
    fmt, how = args.format, ""
    if fmt is None:
        suffix = Path(args.out).suffix.lower().lstrip(".")
        fmt = {"bif": "bif", "xmlbif": "xmlbif", "xml": "xmlbif"}.get(suffix)
        if fmt is None:
            raise UsageError(
                f"cannot tell the format of {quote(args.out)} from its extension; "
                f"name it .bif or .xmlbif, or give --format ({', '.join(FORMATS)})"
            )
        how = ", from the extension"
    model = _model(args)
    model.export(args.out, fmt)
    print(f"wrote {args.out} ({fmt}{how})")
    if model.spec.presentation is not None:
        complaint = model.spec.presentation.variable.id
        print(f"query it with {complaint} = yes, as calfdx conditions every answer on it")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a priors folder: list every problem (exit 2) or summarise it (exit 0)."""
    try:
        spec = load_spec(args.dir)
    except PriorsError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"calfdx: {len(err.problems)} problem(s) in {args.dir or 'priors/'}", file=sys.stderr)
        return 2
    model = DiagnosticModel(spec)
    n_params = len(spec.entries)
    expert = sum(1 for e in spec.entries.values() if "expert_estimate" in e.sources)
    print(
        f"ok: {spec.source_dir}: {len(spec.risk_factors)} risk factors, {len(spec.causes)} causes, "
        f"{len(spec.findings)} findings, {len(spec.rules)} triage rules, {n_params} numbers "
        f"({expert} expert estimates, {n_params - expert} from sources), "
        f"{len(spec.references)} references"
    )
    print("implied prevalence with no evidence:")
    for c in sorted(model.priors.values(), key=lambda c: -c.probability):
        print(f"  {c.id:<28} {c.probability:7.2%}")
    return 0


def cmd_vocabulary(args: argparse.Namespace) -> int:
    """Print every variable with its states and its question."""
    spec = load_spec(args.priors)
    rows = [
        {
            "id": v.id,
            "kind": v.kind,
            "states": list(v.states),
            "label": v.label,
            "question": v.question,
        }
        for v in spec.variables.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for kind in ("risk_factor", "cause", "finding"):
        print(f"{kind.replace('_', ' ')}s:")
        for r in rows:
            if r["kind"] == kind:
                print(
                    f"  {r['id']:<28} {' | '.join(r['states']):<40} {r['question'] or r['label']}"
                )
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's one-line message for bad input (no usage block), status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand.

    >>> build_parser().parse_args(["diagnose", "--bogus"])
    Traceback (most recent call last):
    SystemExit: 2
    """
    parser = _Parser(
        prog="calfdx", description=f"Calf pain in runners: a Bayesian network. {DISCLAIMER}"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("diagnose", help="posterior of every cause and the triage")
    p.add_argument(
        "items", nargs="*", metavar="id=state", help="what you know (the rest is unknown)"
    )
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.add_argument("--priors", default=None, help="priors folder (default: the shipped priors/)")
    p.add_argument(
        "--explain",
        metavar="CAUSE[=STATE]",
        nargs="?",
        const="",
        default=None,
        help="also show the numbers behind the triage and, given a cause, each item's "
        "share of the change in that cause's log-odds",
    )
    p.add_argument("--case", metavar="FILE", default=None, help=CASE_HELP)
    p.set_defaults(func=cmd_diagnose)

    p = sub.add_parser("report", help="write a printable HTML summary to take to a clinician")
    p.add_argument("items", nargs="*", metavar="id=state", help="what you know")
    p.add_argument("--case", metavar="FILE", default=None, help=CASE_HELP)
    p.add_argument("-o", "--out", required=True, metavar="OUT.html", help="the page to write")
    p.add_argument(
        "--draws", type=int, default=40, help="random settings of the priors for the intervals"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of those draws")
    p.add_argument("--priors", default=None, help="priors folder (default: the shipped priors/)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "interview", help="answer the most informative question next, until triage is settled"
    )
    p.add_argument("--priors", default=None, help="priors folder (default: the shipped priors/)")
    p.add_argument("--max-questions", type=int, default=None, metavar="N", help="ask at most N")
    p.set_defaults(func=cmd_interview)

    p = sub.add_parser("batch", help="score a CSV or Parquet table of cases, one row each")
    p.add_argument("input", metavar="IN", help="cases: one column per variable id, empty = unknown")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="results (.csv or .parquet)")
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="write bad rows to OUT.errors.csv (row, reason) instead of stopping",
    )
    p.add_argument("--chunksize", type=int, default=50_000, help="rows read at a time")
    p.add_argument(
        "--id",
        action="append",
        default=[],
        metavar="COLUMN",
        help="a column of case ids to carry through to the results and errors (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--priors", default=None)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("export", help="write the network for other Bayesian-network tools")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from OUT's extension")
    p.add_argument("--priors", default=None)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("validate", help="check a priors folder; list every problem")
    p.add_argument("dir", nargs="?", default=None, metavar="DIR")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("vocabulary", help="every variable, its states and its question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--priors", default=None)
    p.set_defaults(func=cmd_vocabulary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        return func(args)
    except SystemError as err:
        # A signal handler that raises while compiled (numba) code runs comes back
        # wrapped, "returned a result with an exception set", with the signal's
        # exception as its cause, once per layer it crosses (twice when it lands while
        # numba loads a cached kernel): unwrap it so Ctrl-C and SIGTERM stay clean exits.
        cause = err.__cause__
        while isinstance(cause, SystemError):
            cause = cause.__cause__
        if not isinstance(cause, (KeyboardInterrupt, Terminated)):
            raise
        return _stopped(cause)
    except (KeyboardInterrupt, Terminated) as err:
        return _stopped(err)
    except PriorsError as err:
        extra = (
            f" (and {len(err.problems) - 1} more; run 'calfdx validate')"
            if len(err.problems) > 1
            else ""
        )
        print(f"calfdx: error: {err.problems[0]}{extra}", file=sys.stderr)
    except CalfdxError as err:
        print(f"calfdx: error: {err}", file=sys.stderr)
    except BrokenPipeError:  # e.g. `calfdx validate | head`
        sys.stderr.close()
        return 0
    except OSError as err:
        print(f"calfdx: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
