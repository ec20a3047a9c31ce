"""Large-scale fidelity run: restore whole articles and count the ones that stem back exactly.

    python -m destem.lab.fidelity_run --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --articles 2000 --out eval/results/fidelity/validation

Each chosen article (`article_choice.py`: `--corpus` files in order, `--split`, `--exclude`, then
`--skip`) is stemmed whole by the forward pipeline, restored as one document by the model, and
checked; the report counts documents and stems that round-trip and lists every failure with its
first mismatch (the tokens around it). The round trip needs no reference, so any prose will do;
`--split validation` takes only text the shipped model never trained on (the validation split:
235 articles in the shared corpus). The first published run (`--corpus wiki-04 --skip 3465`, no
`--split`) restored training text.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from tqdm import tqdm

from destem.evaluation.bench import machine_info
from destem.lab import article_choice as chosen
from destem.model.locate import locate_model
from destem.restore.batch import restore_stream
from destem.restore.restorer import Restorer
from destem.text.check import check_documents
from destem.text.forward import stem_text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    chosen.add_options(parser)
    parser.add_argument("--articles", type=int, default=2000, help="articles to restore, at most (default: 2000)")
    parser.add_argument("--model", default=locate_model(), help="model folder (default: models/default)")
    parser.add_argument("--out", required=True, help="report folder")
    args = parser.parse_args()

    articles = chosen.select(args, args.articles)
    stems = [stem_text(doc.text) for doc in tqdm(articles, desc="stem", unit=" articles")]
    restorer = Restorer.from_pretrained(args.model)
    start = time.time()
    with tqdm(total=sum(len(s.split()) for s in stems), desc="restore", unit=" stems", unit_scale=True) as bar:
        restored = [r.text for r in restore_stream(restorer, stems, progress=bar)]
    seconds = time.time() - start
    report = check_documents(stems, restored)
    failed = {m.document for m in report.mismatches}
    result = {
        "command": "python -m destem.lab.fidelity_run " + " ".join(sys.argv[1:]),
        "model": os.path.abspath(args.model), "articles": chosen.described(args, articles),
        "documents": report.documents, "documents_ok": report.documents_ok,
        "stems": report.stems, "stems_ok": report.stems_ok, "restore_seconds": round(seconds, 1),
        "machine": machine_info([str(restorer.device)]),
        "failures": [{"article": articles[m.document - 1].doc_id, "position": m.position, "stems": m.stems,
                      "expected": m.expected, "got": m.got, "restored": m.restored} for m in report.mismatches],
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    chose, threads = result["articles"], result["machine"]["torch_threads"]
    which = (f"{len(articles):,} of the {'' if chose['split'] == 'all' else chose['split'] + ' split of '}"
             f"{', '.join(chose['corpus'])} in corpus order, skipping the first {chose['skip']:,}"
             + (f", titles of {', '.join(chose['excluded_titles_of'])} left out"
                if chose["excluded_titles_of"] else ""))
    lines = [f"# Fidelity run: {report.documents:,} whole articles", "",
             f"`{result['command']}`", "",
             f"- documents that round-trip: {report.documents_ok:,} of {report.documents:,}",
             f"- stems matched: {report.stems_ok:,} of {report.stems:,}",
             f"- articles: {which}",
             (f"- restoring took {seconds / 60:.1f} min ({report.stems / max(seconds, 1e-9):,.0f} stems/s, "
             f"{threads} torch thread{'s' * (threads != 1)} on {result['machine']['cpu']})"), ""]
    if failed:
        lines += ["| article | first mismatch at stem | expected | the restoration stems to | restored |",
                  "|---|---|---|---|---|"]
        lines += [f"| {f['article']} | {f['position'] + 1:,} of {f['stems']:,} | `{f['expected']}` | `{f['got']}` | "
                  f"`{f['restored']}` |" for f in result["failures"]]
    with open(os.path.join(args.out, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
