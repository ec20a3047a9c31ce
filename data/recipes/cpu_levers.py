"""Issue 19's CPU levers, measured on held-out whole articles (never the benchmark): BLEU and
stems/s of the shipped default with a decoding setting off and on.

    python data/recipes/cpu_levers.py --corpus ../shared/corpus/wiki-04.txt.gz --articles 25 \
        --setting lm_weight=0.2,0.25,0.3

Articles are the validation split of pair building (no model here trained on them), each scored
as one line, as `destem eval` scores documents.
"""
from __future__ import annotations

import argparse
import json
import time

import sacrebleu

from pipeline.restore.restorer import Restorer
from pipeline.text.documents import read_documents
from pipeline.text.forward import stem_text
from pipeline.text.pairs import PairConfig, split_of


def held_out_articles(path: str, count: int) -> list[str]:
    texts = []
    for doc in read_documents(path):
        if split_of(doc.doc_id, PairConfig()) == "validation":
            texts.append(" ".join(doc.text.split()))
            if len(texts) == count:
                break
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--articles", type=int, default=25)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--setting", required=True, help="NAME=V1,V2,...: a config.json decoding setting and its values")
    args = parser.parse_args()
    name, values = args.setting.split("=")
    references = held_out_articles(args.corpus, args.articles)
    sources = [stem_text(r) for r in references]
    stems = sum(len(s.split()) for s in sources)
    restorer = Restorer.from_pretrained(args.model, device="cpu")
    restorer.restore(sources[:1])  # warm-up
    rows = []
    for value in values.split(","):
        setattr(restorer.model.config, name, json.loads(value))
        start = time.perf_counter()
        restorations = restorer.restore_documents(sources)
        seconds = time.perf_counter() - start
        bleu = sacrebleu.corpus_bleu([r.text for r in restorations], [references])
        rows.append({name: json.loads(value), "bleu": round(bleu.score, 2),
                     "chrf++": round(sacrebleu.corpus_chrf([r.text for r in restorations], [references],
                                                           word_order=2).score, 2),
                     "roundtrip_documents": sum(r.roundtrip_ok for r in restorations), "documents": len(sources),
                     "stems": stems, "stems_per_s": round(stems / seconds)})
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
