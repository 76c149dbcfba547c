"""`factsheet eval`: score a backend or a folder of predictions against the hand labels."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from evals.baseline import write_baseline
from evals.diff import render_diff
from evals.gold import load_gold
from evals.html_report import render_eval_html
from evals.runner import cases, predictions_for
from evals.scoring import score
from evals.sets import DEFAULT_SET, get_set, load_sets
from evals.table import render_table
from extract.backends import BACKENDS
from extract.errors import FactsheetError
from extract.output import write_atomic, write_sheet

log = logging.getLogger("factsheet")

DEFAULT_OUT = Path("out") / "eval"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score extraction against the hand labels",
        description="Score a backend (run over the labelled articles) or a folder of predicted sheets "
        "against the hand labels: prints per-type precision/recall/F1, field accuracy, grounding and "
        "validity; writes a JSON report and a Markdown diff. See docs/eval.md.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--backend", choices=sorted(BACKENDS), help="run this backend over the labelled articles")
    source.add_argument("--pred", type=Path, metavar="DIR", help="score existing predictions DIR/<id>.json")
    parser.add_argument("--set", dest="eval_set", metavar="NAME",
                        help=f"a labelled set from evals/sets.json ({', '.join(load_sets())}; default: {DEFAULT_SET}); "
                        "gives --gold, --articles and the baseline file")
    parser.add_argument("--gold", type=Path, metavar="DIR",
                        help="hand labels (default: the set's, evals/gold for the seeds)")
    parser.add_argument("--articles", type=Path, metavar="DIR",
                        help="article texts the labels are for (default: the set's, seeds/ for the seeds)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="JSON report (default: out/eval/<backend or folder>/report.json)")
    parser.add_argument("--diff", type=Path, metavar="FILE",
                        help="Markdown diff (default: beside the JSON report, diff.md)")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="also write the report as one HTML page: scores chart, facts marked on the texts")
    parser.add_argument("--write-baseline", nargs="?", const=True, type=Path, metavar="FILE",
                        help="also write the headline scores as the committed baseline "
                        "(default: the set's baseline file, evals/baseline.json for the seeds)")
    parser.set_defaults(handler=main)


def _label(args: argparse.Namespace) -> str:
    return args.backend if args.backend else f"predictions in {args.pred}"


def _slug(args: argparse.Namespace) -> str:
    raw = args.backend or args.pred.resolve().name or "pred"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)


def main(args: argparse.Namespace) -> int:
    eval_set = get_set(args.eval_set or DEFAULT_SET)
    if args.write_baseline is True and not args.eval_set and (args.gold or args.articles):
        raise FactsheetError("--write-baseline with --gold/--articles but no --set would overwrite the seeds' "
                             "baseline: pass --set NAME or a baseline FILE")
    args.gold = args.gold or eval_set.gold
    args.articles = args.articles or eval_set.articles
    gold = load_gold(args.gold, args.articles)
    predictions = predictions_for(gold, backend=args.backend, pred_dir=args.pred)
    report = score(cases(gold, predictions), _label(args),
                   meta={"gold": str(args.gold), "articles": str(args.articles),
                         "backend": args.backend, "pred": str(args.pred) if args.pred else None})
    slug = _slug(args) + ("" if eval_set.name == DEFAULT_SET and not args.eval_set else f"-{eval_set.name}")
    json_path = args.json or DEFAULT_OUT / slug / "report.json"
    diff_path = args.diff or json_path.with_name("diff.md")
    write_atomic(json_path, report.to_json())
    write_atomic(diff_path, render_diff(report))
    if args.backend:
        for p in predictions:
            if p.sheet is not None:
                write_sheet(json_path.parent / "predictions", p.sheet)
    sys.stdout.write(render_table(report))
    if args.html:
        write_atomic(args.html, render_eval_html(report, {g.id: g.article.text for g in gold}))
    print(f"\nreport: {json_path}\ndiff:   {diff_path}" + (f"\nhtml:   {args.html}" if args.html else ""))
    if args.write_baseline:
        path = eval_set.baseline if args.write_baseline is True else args.write_baseline
        write_baseline(report, path, eval_set.name)
        print(f"baseline: {path} (set {eval_set.name}: overall F1 {report.overall_f1:.4f}, "
              f"strict F1 {report.overall_strict_f1:.4f})")
    return 0 if report.validity.numerator == report.validity.denominator else 1
