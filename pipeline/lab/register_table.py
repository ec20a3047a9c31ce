"""The per-register table of eval/results/registers/*/README.md, read from the report.json that
`destem eval --suite registers-NAME` wrote into each register's folder.

    python -m destem.lab.register_table eval/results/registers/baseline

One row per register folder (in REGISTERS' order, then any others): documents, words, the model's
BLEU, chrF++, content words and function-word F1, the round trip, the lexicon baseline's BLEU, and
the model's recall of the dropped words of four classes on the windows, with the references'
count of each in brackets (a small count is a noisy rate).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from destem.evaluation.bench import markdown_table

REGISTERS = ("wikipedia", "fiction", "speeches", "forum", "science", "howto", "news")
CLASSES = (("negation", "negation"), ("pronoun, 1st person", "1st person"), ("pronoun, 2nd person", "2nd person"),
           ("auxiliary or modal", "aux./modal"))


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def register_row(name: str, report: dict) -> list[str]:
    model = report["systems"]["model"]
    documents, windows = model["documents"]["scores"], model["windows"]["scores"]
    counts = model["documents"]["counts"]
    lexicon = report["systems"].get("lexicon", {}).get("documents", {}).get("scores", {}).get("bleu")
    classes = model["windows"]["function_classes"]
    roundtrip = (f"{counts['roundtrip_documents']}/{counts['texts']}, "
                 f"{counts['roundtrip_stems']:,}/{counts['input_stems']:,}")
    row = [name, f"{report['data']['documents']:,}", f"{report['data']['words']:,}",
           _num(documents["bleu"]), _num(documents["chrf++"]), _num(windows["content_accuracy"]),
           _num(windows["function_f1"]), roundtrip, _num(lexicon)]
    return row + [f"{_num(classes[key]['recall'])} ({classes[key]['reference']:,})" for key, _ in CLASSES]


def table(folder: Path) -> str:
    found = {p.parent.name: p for p in folder.glob("*/report.json")}
    order = [n for n in REGISTERS if n in found] + sorted(set(found) - set(REGISTERS))
    rows = [register_row(n, json.loads(found[n].read_text(encoding="utf-8"))) for n in order]
    header = ["register", "docs", "words", "BLEU", "chrF++", "content (w)", "FW F1 (w)",
              "round trip (docs, stems)", "lexicon BLEU"] + [f"{label} R (w)" for _, label in CLASSES]
    return markdown_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="a folder of <register>/report.json")
    args = ap.parse_args(argv)
    print(table(args.folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
