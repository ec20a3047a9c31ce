"""The `destem words` bar: topic-style lists from held-out articles (each article's 10 most
frequent content stems), turned back into words alone and with a context corpus.

    python -m destem.lab.words_bar --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --skip 100 --articles 200 \
        --out eval/results/words --name sampled-validation-101-235

Held out means the validation split (`--split validation`, `article_choice.py`): articles that neither
the shipped model's weights nor its lexicon nor its word LM counted. (`--corpus wiki-04 --skip 3465`
without `--split`, the first published run's articles, are training text: the shipped model's
step 4 trained on them and its lexicon and word LM counted them.)

The context is what `destem words --context` would be given: the chosen articles, stemmed, each
followed by the next `--others` articles of the corpus (default 4; any split, not chosen), in corpus
order, so that with the default budget (`--context-stems`, 100,000 stems, that of `destem words`) the
context is many times what is restored and the chosen articles are not simply first. `--others 0`
gives the chosen articles alone (the earlier runs' context). `--sampling` chooses what is restored:
`windows` (default) as `destem words` does (`words.sample_context`, the forms weighed by the model,
`words.form_weights`), `documents` as `destem words` did before (the documents that hold a listed
stem, in order, until the budget; the forms written, `form_counts_of_restorations`), `all` every
window that holds a listed stem (no budget: what restoring all of it gives).

The reference for a stem is the held-out text's most frequent word for it (over the chosen articles,
compared in lowercase: a list says which word, not how a sentence would case it). Reported: the share
of words that stem back to their stem, the agreement of (1) the lexicon's most frequent form (what
`destem words` does alone) and (2) `--context`, and two ceilings that take the original words instead
of the model's: of the windows restored (`gold_sample`) and of the whole context (`gold_context`: no
budget, no model errors). With `--others`, the context's own text can prefer another word than the
chosen articles' (`versus_context_text`: the same choices scored against the whole context's most
frequent words), and `written_accuracy`: the share of the listed stems' occurrences restored as the
original's word. `--cache FILE` keeps what the model weighed for each window restored (JSON lines)
and reuses it in a later run; the seconds reported are those of the windows restored in this run.
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
from destem.restore.words import (
    DEFAULT_CONTEXT_STEMS,
    ContextSample,
    choose_words,
    context_sample,
    form_counts_of_restorations,
    form_weights,
    sample_context,
)
from destem.text.documents import Document
from destem.text.forward import STOPWORDS, stem_token, stems_of_tokens, tokenize
from destem.text.pairs import split_documents

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


def context_documents(corpus: list[str], articles: list[Document], others: int) -> list[Document]:
    """The chosen articles, each followed by the next `others` articles of the corpus that are not
    chosen (any split), in corpus order."""
    titles = {d.doc_id for d in articles}
    context, pending, left = [], 0, len(titles)
    for document in split_documents(corpus):
        if document.doc_id in titles:
            context.append(document)
            pending, left = others, left - 1
        elif pending:
            context.append(document)
            pending -= 1
        elif not left:
            break
    return context


def stemmed(documents: list[Document]) -> tuple[list[str], list[list[str]]]:
    """Each document's stems (one line, as `destem stem` writes it) and its content words, one per stem."""
    lines, words = [], []
    for document in documents:
        tokens = tokenize(document.text)
        lines.append(" ".join(stems_of_tokens(tokens)))
        words.append([t for t in tokens if t.lower() not in STOPWORDS])
    return lines, words


def first_documents(documents: list[str], stems: set[str], max_stems: int) -> ContextSample:
    """What `destem words` restored before windows: the documents that hold a listed stem, in order,
    until `max_stems` stems."""
    pieces, spans, size = [], [], 0
    for d, document in enumerate(documents):
        words = document.split()
        if not stems.intersection(words):
            continue
        if pieces and size + len(words) > max_stems:
            break
        pieces.append(document)
        spans.append((d, 0, len(words)))
        size += len(words)
    occurrences = Counter(w for piece in pieces for w in piece.split() if w in stems)
    return ContextSample(pieces, spans, len(pieces), occurrences,
                         len({w for document in documents for w in document.split() if w in stems}))


class CachedRestore:
    """`restore(pieces)` for `sample_context`: what the model weighed for each stem of each window
    (`Restorer.context_sample`'s), each window kept in a cache file (JSON lines: stems, text, words)
    when one is named and reused from it; counts the seconds and stems of those restored here."""

    def __init__(self, restorer: Restorer, cache: str | None):
        self.restorer, self.cache, self.known = restorer, cache, {}
        if cache and os.path.exists(cache):
            with open(cache, encoding="utf-8") as f:
                self.known = {record["stems"]: record for record in map(json.loads, f)}
        self.seconds, self.stems, self.from_cache = 0.0, 0, 0

    def __call__(self, pieces: list[str]) -> list[list]:
        return [record["words"] for record in self.records(pieces)]

    def texts(self, pieces: list[str]) -> list[str]:
        return [record["text"] for record in self.records(pieces)]

    def records(self, pieces: list[str]) -> list[dict]:
        missing = list(dict.fromkeys(p for p in pieces if p not in self.known))
        self.from_cache += len(pieces) - len(missing)
        if missing:
            start = time.perf_counter()
            restored = [{"stems": p, "text": r.text,
                         "words": [[s.word, [[w, round(q, 4)] for w, q in s.word_alternatives]]
                                   for s in r.explanation.stems]}
                        for p, r in zip(missing, restore_stream(self.restorer, missing, explain=True))]
            self.seconds += time.perf_counter() - start
            self.stems += sum(len(p.split()) for p in missing)
            self.known.update((record["stems"], record) for record in restored)
            if self.cache:
                with open(self.cache, "a", encoding="utf-8") as f:
                    f.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in restored)
        return [self.known[p] for p in pieces]


def gold_counts(pieces: list[str], spans: list[tuple[int, int, int]], words: list[list[str]]) -> dict[str, Counter]:
    """stem -> {original word: count} over the pieces (windows of the documents whose words these are)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for piece, (d, start, end) in zip(pieces, spans, strict=True):
        for stem, word in zip(piece.split(), words[d][start:end], strict=True):
            counts[stem][word] += 1
    return counts


def written_accuracy(pieces: list[str], spans: list[tuple[int, int, int]], words: list[list[str]],
                     written: list, listed: set[str]) -> float:
    """The share of the listed stems' occurrences in the pieces whose restored word (lowercase) is the
    original's: how often the model is right occurrence by occurrence, which caps how many close calls
    (a stem written half as `forest`, half as `forests`) the counts can settle."""
    right = total = 0
    for piece, (d, start, end), weighed in zip(pieces, spans, written, strict=True):
        for stem, word, (restored, _) in zip(piece.split(), words[d][start:end], weighed, strict=True):
            if stem in listed:
                total += 1
                right += restored.lower() == word.lower()
    return round(right / total, 4) if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    chosen.add_options(parser)
    parser.add_argument("--articles", type=int, default=200, help="held-out articles (default: 200)")
    parser.add_argument("--others", type=int, default=4,
                        help="after each chosen article, this many of the corpus's next articles join the "
                             "context (default: 4; 0: the chosen articles alone)")
    parser.add_argument("--context-stems", type=int, default=DEFAULT_CONTEXT_STEMS,
                        help=f"context stems restored at most (default: {DEFAULT_CONTEXT_STEMS}, as `destem "
                             "words`; 0: measure the lexicon alone)")
    parser.add_argument("--sampling", choices=("windows", "documents", "all"), default="windows",
                        help="what is restored: windows around the listed stems in rounds (`destem words`, "
                             "default), the documents that hold one, in order (as before windows), or every "
                             "window that holds one (no budget)")
    parser.add_argument("--window", type=int, help="windows of at most this many stems (default: the model's)")
    parser.add_argument("--model", default=locate_model())
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--cache", metavar="FILE", help="keep each restored window here, and reuse them")
    parser.add_argument("--name", default="bar", help="the report is OUT/NAME.json (default: bar)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    documents = chosen.select(args, args.articles)
    articles = [d.text for d in documents]
    lists, reference = topic_lists(articles)
    terms = [stem for stems in lists for stem in stems]
    lexicon = Lexicon.from_folder(args.model)
    alone = choose_words(terms, lexicon)
    report = {"command": "python -m destem.lab.words_bar " + " ".join(sys.argv[1:]),
              "lists": len(lists), "machine": machine_info(["cpu"]),
              "alone": score(lists, alone, reference)}
    if args.context_stems > 0:
        report["context"] = context_score(args, documents, terms, lexicon, reference, lists, alone)
    report["articles"] = chosen.described(args, documents)
    print(json.dumps({k: v for k, v in report.items() if k != "articles"}, indent=1))
    with open(os.path.join(args.out, args.name + ".json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


def context_score(args, documents, terms, lexicon, reference, lists: list[list[str]], alone) -> dict:
    """The score with the context that `destem words --context` would be given (see the docstring)."""
    context = context_documents(args.corpus, documents, args.others) if args.others else documents
    start = time.perf_counter()
    lines, words = stemmed(context)
    stem_seconds = time.perf_counter() - start
    restorer = Restorer.from_pretrained(args.model, device="cpu")
    restore = CachedRestore(restorer, args.cache)
    start = time.perf_counter()
    if args.sampling == "windows":
        sample = sample_context(lines, lists, restore, args.context_stems, args.window or restorer.max_stems)
    elif args.sampling == "all":
        sample = context_sample(lines, lists, sum(len(line.split()) for line in lines),
                                args.window or restorer.max_stems)
        sample.counts, sample.rounds = form_weights(sample.pieces, restore(sample.pieces)), 1
    else:
        sample = first_documents(lines, set(terms), args.context_stems)
        sample.counts = form_counts_of_restorations(sample.pieces, restore.texts(sample.pieces))
    seconds = time.perf_counter() - start
    choices = choose_words(terms, lexicon, sample.counts, top=3)
    whole = [(d, 0, len(line.split())) for d, line in enumerate(lines)]
    listed = set(terms)
    in_context = gold_counts(lines, whole, words)
    text_of_context = {stem: lowercased(in_context[stem]) for stem in listed if in_context[stem]}
    gold_sample = choose_words(terms, lexicon, gold_counts(sample.pieces, sample.spans, words))
    return score(lists, choices, reference) | {
        "sampling": args.sampling, "budget": args.context_stems,
        "context_documents": len(context), "context_stems": sum(len(line.split()) for line in lines),
        "others_per_article": args.others,
        "listed_stems": len(listed), "listed_in_context": sample.in_context,
        "listed_in_sample": sum(1 for stem in listed if sample.occurrences[stem]),
        "pieces": len(sample.pieces), "documents_restored_from": sample.documents, "stems_restored": sample.stems,
        "rounds": sample.rounds,
        "min_occurrences": min((sample.occurrences[s] for s in listed if s in sample.occurrences), default=0),
        "pieces_from_cache": restore.from_cache, "seconds": round(seconds, 1),
        "restore_seconds": round(restore.seconds, 1),
        "stems_per_second": round(restore.stems / restore.seconds) if restore.seconds else None,
        "stem_seconds": round(stem_seconds, 1),
        "gold_sample": score(lists, gold_sample, reference)["agreement"],
        "written_accuracy": written_accuracy(sample.pieces, sample.spans, words, restore(sample.pieces), listed)
        if args.sampling != "documents" else None,
        "gold_context": score(lists, choose_words(terms, lexicon, in_context), reference)["agreement"],
        "versus_context_text": versus(lists, text_of_context, reference, {
            "alone": choose_words(terms, lexicon), "context": choices, "gold_sample": gold_sample}),
        "disagreements": disagreements(lists, reference, alone, choices, sample.occurrences)}


def lowercased(counts: Counter) -> Counter:
    merged = Counter()
    for word, n in counts.items():
        merged[word.lower()] += n
    return merged


def versus(lists, text_of_context, reference, choices: dict) -> dict:
    """Agreement with another reference, the whole context's original text (for a stem it lacks,
    the articles' reference)."""
    other = {stem: text_of_context.get(stem, reference[stem]) for stem in reference}
    return {"terms_whose_reference_differs": sum(other[s].most_common(1)[0][0] != reference[s].most_common(1)[0][0]
                                                 for stems in lists for s in stems)} | {
        name: score(lists, chosen, other)["agreement"] for name, chosen in choices.items()}


def disagreements(lists, reference, alone, choices, occurrences) -> list[dict]:
    """The terms where `--context` chose another word than the reference's (each stem once)."""
    seen, out = set(), []
    for stem, lone, choice in zip((s for stems in lists for s in stems), alone, choices):
        want = reference[stem].most_common(1)[0][0]
        if choice.word.lower() != want and stem not in seen:
            seen.add(stem)
            out.append({"stem": stem, "reference": want, "alone": lone.word, "context": choice.word,
                        "source": choice.source, "occurrences": occurrences[stem],
                        "forms": [[w, round(share, 3)] for w, share in choice.forms]})
    return out


if __name__ == "__main__":
    main()
