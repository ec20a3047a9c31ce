"""Large-scale fidelity run: restore whole articles and count the ones that stem back exactly.

    python data/recipes/fidelity_run.py --corpus ../shared/corpus/wiki-04.txt.gz --articles 2000 \
        --out eval/results/fidelity

Each article of the corpus (in file order, from `--skip` on) is stemmed whole by the forward
pipeline, restored as one document by the model, and checked; the report counts documents and
stems that round-trip and lists every failure with its first mismatch (the tokens around it).
The round trip needs no reference, so any prose will do; the shipped model's training windows
came from these shards, which matters for quality but not for whether the stems come back.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time

from tqdm import tqdm

from pipeline import Restorer, check_documents, stem_text
from pipeline.restore import DEFAULT_MODEL_DIR
from pipeline.restore.batch import restore_stream
from pipeline.text.documents import expand_paths, read_documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", required=True, help="corpus-format .txt/.txt.gz files")
    parser.add_argument("--articles", type=int, default=2000, help="articles to restore (default: 2000)")
    parser.add_argument("--skip", type=int, default=0, help="articles to skip first (default: 0)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder (default: models/default)")
    parser.add_argument("--out", required=True, help="report folder")
    args = parser.parse_args()

    documents = (doc for path in expand_paths(args.corpus) for doc in read_documents(path))
    articles = list(itertools.islice(documents, args.skip, args.skip + args.articles))
    stems = [stem_text(doc.text) for doc in tqdm(articles, desc="stem", unit=" articles")]
    restorer = Restorer.from_pretrained(args.model)
    start = time.time()
    with tqdm(total=sum(len(s.split()) for s in stems), desc="restore", unit=" stems", unit_scale=True) as bar:
        restored = [r.text for r in restore_stream(restorer, stems, progress=bar)]
    seconds = time.time() - start
    report = check_documents(stems, restored)
    failed = {m.document for m in report.mismatches}
    result = {
        "command": "python data/recipes/fidelity_run.py " + " ".join(sys.argv[1:]),
        "model": os.path.abspath(args.model), "corpus": args.corpus, "skip": args.skip,
        "documents": report.documents, "documents_ok": report.documents_ok,
        "stems": report.stems, "stems_ok": report.stems_ok, "restore_seconds": round(seconds, 1),
        "failures": [{"article": articles[m.document - 1].doc_id, "position": m.position, "stems": m.stems,
                      "expected": m.expected, "got": m.got, "restored": m.restored} for m in report.mismatches],
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    lines = [f"# Fidelity run: {report.documents:,} whole articles", "",
             f"`{result['command']}`", "",
             f"- documents that round-trip: {report.documents_ok:,} of {report.documents:,}",
             f"- stems matched: {report.stems_ok:,} of {report.stems:,}",
             f"- restoring took {seconds / 60:.1f} min", ""]
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
