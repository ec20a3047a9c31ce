"""The `destem words` bar: topic-style lists from held-out articles (each article's 10 most
frequent content stems), turned back into words alone and with the articles as context.

    python -m destem.lab.words_bar --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --articles 200 \
        --out eval/results/words --name bar-validation --cache .cache/words-validation.restored.txt

Held out means the validation split (`--split validation`, `article_choice.py`): articles that neither
the shipped model's weights nor its lexicon nor its word LM counted. (`--corpus wiki-04 --skip 3465`
without `--split`, the first published run's articles, are training text: the shipped model's
step 4 trained on them and its lexicon and word LM counted them.)

The reference for a stem is the held-out text's most frequent word for it (over all the articles,
compared in lowercase: a list says which word, not how a sentence would case it). Reported:
the share of words that stem back to their stem, and the agreement of (1) the lexicon's most
frequent form (what `destem words` does alone), (2) `--context` with the articles, stemmed. The
context's restorations are what `Restorer.words` makes (`restore`, then `form_counts_of_restorations`);
`--cache FILE` keeps them for a rerun, since restoring takes minutes on a CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict

from destem.evaluation.bench import machine_info
from destem.lab import article_choice as chosen
from destem.model.locate import locate_model
from destem.restore.batch import restore_stream
from destem.restore.lexicon import Lexicon
from destem.restore.restorer import Restorer
from destem.restore.words import choose_words, context_sample, form_counts_of_restorations
from destem.text.forward import STOPWORDS, stem_text, stem_token, tokenize
from destem.text.textio import split_lines

LIST_LENGTH = 10


def is_term(stem: str) -> bool:
    """A stem a topic list would show: it has a letter and is no clitic ('s, n't)."""
    return any(ch.isalpha() for ch in stem) and not stem.startswith("'") and stem != "n't"


def topic_lists(articles: list[str]) -> tuple[list[list[str]], dict[str, Counter]]:
    """Each article's most frequent content stems (ties: first seen), and stem -> {word: count}
    over all the articles, in lowercase."""
    lists, words = [], defaultdict(Counter)
    for text in articles:
        stems = Counter()
        for token in tokenize(text):
            if token.lower() not in STOPWORDS and is_term(stem := stem_token(token)):
                stems[stem] += 1
                words[stem][token.lower()] += 1
        lists.append([stem for stem, _ in stems.most_common(LIST_LENGTH)])
    return lists, words


def score(lists: list[list[str]], choices: list, reference: dict[str, Counter]) -> dict:
    terms = [stem for stems in lists for stem in stems]
    agree = sum(choice.word.lower() == reference[stem].most_common(1)[0][0] for stem, choice in zip(terms, choices))
    stems_back = sum(stem_token(choice.word) == stem for stem, choice in zip(terms, choices))
    return {"terms": len(terms), "agreement": round(agree / len(terms), 4),
            "roundtrip": round(stems_back / len(terms), 4),
            "sources": dict(Counter(choice.source for choice in choices))}


def restored_context(context: list[str], model_dir: str, cache: str | None) -> tuple[list[str], float | None]:
    """The model's restorations of the context, and the seconds they took (None: read from the cache)."""
    if cache and os.path.exists(cache):
        with open(cache, encoding="utf-8") as f:
            restored = split_lines(f.read())
        if len(restored) == len(context):
            return restored, None
    restorer = Restorer.from_pretrained(model_dir, device="cpu")
    start = time.perf_counter()
    restored = [r.text for r in restore_stream(restorer, context)]
    seconds = time.perf_counter() - start
    if cache:
        with open(cache, "w", encoding="utf-8") as f:
            f.writelines(text + "\n" for text in restored)
    return restored, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    chosen.add_options(parser)
    parser.add_argument("--articles", type=int, default=200, help="held-out articles (default: 200)")
    parser.add_argument("--context-stems", type=int, default=400_000,
                        help="context stems restored at most (0: measure the lexicon alone)")
    parser.add_argument("--model", default=locate_model())
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--cache", metavar="FILE", help="keep the context's restorations here, and reuse them")
    parser.add_argument("--name", default="bar", help="the report is OUT/NAME.json (default: bar)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    documents = chosen.select(args, args.articles)
    articles = [d.text for d in documents]
    lists, reference = topic_lists(articles)
    terms = [stem for stems in lists for stem in stems]
    lexicon = Lexicon.from_folder(args.model)
    report = {"command": "python -m destem.lab.words_bar " + " ".join(sys.argv[1:]),
              "lists": len(lists), "machine": machine_info(["cpu"]),
              "alone": score(lists, choose_words(terms, lexicon), reference)}
    if args.context_stems > 0:
        report["context"] = context_score(args, articles, lists, terms, lexicon, reference)
    report["articles"] = chosen.described(args, documents)
    print(json.dumps({k: v for k, v in report.items() if k != "articles"}, indent=1))
    with open(os.path.join(args.out, args.name + ".json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


def context_score(args, articles, lists, terms, lexicon, reference) -> dict:
    """The score with the articles, stemmed, as the context: what `destem words --context` does."""
    context = context_sample([stem_text(text) for text in articles], set(terms), args.context_stems)
    restored, seconds = restored_context(context, args.model, args.cache)
    counts = form_counts_of_restorations(context, restored)
    return score(lists, choose_words(terms, lexicon, counts), reference) | {
        "documents": len(context), "stems": sum(len(d.split()) for d in context),
        "restored_from_cache": seconds is None, "restore_seconds": seconds and round(seconds, 1)}


if __name__ == "__main__":
    main()
