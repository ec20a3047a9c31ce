"""Issue 19's CPU levers, measured on held-out whole articles (never the benchmark): BLEU and
stems/s of the shipped default with a decoding setting off and on.

    python -m destem.lab.cpu_levers --corpus ../shared/corpus/wiki-04.txt.gz --articles 25 \
        --setting lm_weight=0.2,0.25,0.3
    python -m destem.lab.cpu_levers --corpus ../shared/corpus/wiki-04.txt.gz --articles 12 --two-cut
    python -m destem.lab.cpu_levers --corpus ../shared/corpus/wiki-04.txt.gz --articles 12 \
        --model RUN_SEED_0 --ensemble RUN_SEED_1

Articles are the validation split of pair building (no model here trained on them), each scored
as one line, as `destem eval` scores documents.
"""
from __future__ import annotations

import argparse
import json
import time

import sacrebleu

from destem.lab.ensemble import EnsembleRestorer
from destem.lab.two_cut import TwoCutRestorer
from destem.restore.restorer import Restorer
from destem.text.documents import read_documents
from destem.text.forward import stem_text
from destem.text.pairs import PairConfig, split_of


def held_out_articles(path: str, count: int) -> list[str]:
    texts = []
    for doc in read_documents(path):
        if split_of(doc.doc_id, PairConfig()) == "validation":
            texts.append(" ".join(doc.text.split()))
            if len(texts) == count:
                break
    return texts


def score(restorer, sources: list[str], references: list[str], **row) -> dict:
    stems = sum(len(s.split()) for s in sources)
    start = time.perf_counter()
    restorations = restorer.restore_documents(sources)
    seconds = time.perf_counter() - start
    texts = [r.text for r in restorations]
    return {**row, "bleu": round(sacrebleu.corpus_bleu(texts, [references]).score, 2),
            "chrf++": round(sacrebleu.corpus_chrf(texts, [references], word_order=2).score, 2),
            "roundtrip_documents": sum(r.roundtrip_ok for r in restorations), "documents": len(sources),
            "stems": stems, "stems_per_s": round(stems / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--articles", type=int, default=25)
    parser.add_argument("--model", default="models/default")
    lever = parser.add_mutually_exclusive_group(required=True)
    lever.add_argument("--setting", help="NAME=V1,V2,...: a config.json decoding setting and its values")
    lever.add_argument("--two-cut", action="store_true",
                       help="the shipped restorer against pipeline/lab/two_cut.py's")
    lever.add_argument("--ensemble", metavar="SECOND_MODEL",
                       help="--model alone, SECOND_MODEL alone, and the two averaged (pipeline/lab/ensemble.py)")
    args = parser.parse_args()
    references = held_out_articles(args.corpus, args.articles)
    sources = [stem_text(r) for r in references]
    restorer = Restorer.from_pretrained(args.model, device="cpu")
    restorer.restore(sources[:1])  # warm-up
    for row, run_restorer in runs(args, restorer):
        print(json.dumps(score(run_restorer, sources, references, **row)), flush=True)


def runs(args, restorer):
    """(the row's setting, the restorer set up for it), one at a time."""
    if args.ensemble:
        second = Restorer.from_pretrained(args.ensemble, device="cpu")
        yield {"tagger": "first"}, restorer
        yield {"tagger": "second"}, second
        yield {"tagger": "both, averaged"}, EnsembleRestorer(restorer, second)
        return
    if args.two_cut:
        yield {"two_cut": False}, restorer
        yield {"two_cut": True}, TwoCutRestorer(restorer.model, restorer.tokenizer, restorer.lexicon, "cpu",
                                                restorer.max_stems, restorer.lm)
        return
    name, values = args.setting.split("=")
    for value in values.split(","):
        setattr(restorer.model.config, name, json.loads(value))
        yield {name: json.loads(value)}, restorer


if __name__ == "__main__":
    main()
