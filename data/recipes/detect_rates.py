"""Measure the rates `destem detect` expects: how often each tell occurs per token under every
(stemmer, stopword list) pair, on training prose; writes pipeline/text/detect_rates.json, which
detect reads (`detect.FittedRates`: pairs keyed by stemmer and stopword-list ids, tells by their ids).

    NLTK_DATA=DIR python data/recipes/detect_rates.py --corpus ../shared/corpus/wiki-01.txt.gz \
        --articles 300 --contraction-articles 3000

The stemmers are NLTK's, and NLTK's WordNet lemmatizer (NLTK_DATA: a folder with corpora/wordnet/,
as pipeline/lab/wild_pipelines.py says); the lists NLTK's and the other libraries' (stoplists.py).
The tells are measured on NLTK Treebank tokens, and again on text without punctuation: the Treebank
tokens that are letters only (`alpha`) and runs of letters of 3 or more (`alpha3`). So are the rates
of every listed word, and of the words of no list that stem to a listed word's stem, from which
detect composes what each list leaves (`detect.probe_rates`); and the 1-2-letter stems that each
stemmer makes of longer words, which are no sign that short words were kept (all stemmers' together,
of the first `--articles`), and per stemmer of the `--contraction-articles`: a short token its stemmer
makes of no longer word there says that short words were kept.

The prose should be text the bar does not test on: `detect_bar.py` takes the validation split of
the other files (`--corpus wiki-00 wiki-02 wiki-03 wiki-04 --split validation`), so the rates
are tested on articles they were not measured on (wiki-01's first 3,000 hold 15 of its validation
articles; the bar leaves wiki-01 out).

The contraction stems that tell the 127-word list from the 179-word one ("won", "m", "d", ...) are
rare (about one token in 1,350), so they are measured on more articles (`--contraction-articles`,
which include the first `--articles`): per pair and stem, the rate at which other words stem to it
(Porter's original algorithm makes "o" of "os") and the rate of its own tokens that the list
keeps, and the same for the stems next to a ’ token ("isn" of "isn’t", "m" of "I’m"); and how
much the own tokens' rate varies from text to text (the shape of a negative binomial, fitted by
maximum likelihood to whether each stem turns up in each article). A text of several articles
varies less than one (an election article has "won" many times, the next none): the shape is
fitted again on runs of 2, 5 and 10 consecutive articles, and grows as a power of the text's
length (`CONTRACTION_DISPERSION_GROWTH`).
"""
from __future__ import annotations

import argparse
import itertools
import math
import re
from collections import Counter
from pathlib import Path

from destem.lab.wild_pipelines import stem_function
from destem.text.detect import (
    APOSTROPHE,
    DETECT_STEMMERS,
    NEXT_TO_APOSTROPHE,
    TELLS,
    VARIANTS,
    FittedRates,
    contraction_stems,
    list_stemmer,
    next_to_apostrophe,
    tell_counts,
)
from destem.text.documents import read_documents
from destem.text.forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, tokenize
from destem.text.stoplists import LIST_NAMES, all_listed_words, stopword_list

OUT = str(Path(__file__).resolve().parents[2] / "pipeline" / "text" / "detect_rates.json")  # this checkout's


def variant_tokens(text: str, tokens: list[str], variant: str) -> list[str]:
    """The tokens of one of detect.VARIANTS: Treebank's; those that are letters only; runs of 3 letters or more."""
    if variant == "treebank":
        return tokens
    if variant == "alpha":
        return [t for t in tokens if t.isalpha()]
    return [w for w in re.findall("[a-z]+", text.lower()) if len(w) >= 3]


def listed_rates(tokens: Counter) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per token of `tokens` (counts, before any word is removed): each listed word's rate, and per stemmer the
    rate at which words of no list stem to a listed word's stem."""
    listed = all_listed_words()
    n = sum(tokens.values())
    lower = Counter()
    for token, k in tokens.items():
        lower[token.lower()] += k
    words = {w: float(f"{lower[w] / n:.3g}") for w in sorted(listed) if lower[w]}
    other = {}
    for stemmer in DETECT_STEMMERS:
        stem, listed_stem = stem_function(stemmer), list_stemmer(stemmer)
        stems = {listed_stem(w) for w in listed}
        found = Counter()
        for token, k in lower.items():
            if token not in listed and (s := stem(token)) in stems:
                found[s] += k
        other[stemmer] = {s: float(f"{k / n:.3g}") for s, k in sorted(found.items())}
    return words, other


def short_stems(tokens: Counter) -> dict[str, frozenset[str]]:
    """Per stemmer, the 1-2-letter stems it makes of a word of 3 letters or more among `tokens`."""
    words = {t.lower() for t in tokens if len(t) >= 3 and t.isalpha()}
    found = {}
    for stemmer in DETECT_STEMMERS:
        stem = stem_function(stemmer)
        found[stemmer] = frozenset(s for w in words if len(s := stem(w)) <= 2)
    return found


def contraction_rates(tokens: Counter, documents: list[list[str]], stemmer: str,
                      stopwords: str) -> tuple[dict[str, tuple[float, float]], int]:
    """Per contraction stem of the stemmer, and for those next to an apostrophe token
    (`detect.NEXT_TO_APOSTROPHE`): (rate other words stem to it, rate of its own tokens), per token
    the pipeline leaves of `tokens` (the documents' counts); and that number of tokens."""
    stem = stem_function(stemmer)
    stopwords = stopword_list(stopwords)
    stems = contraction_stems(stemmer)
    other, own, n = Counter(), Counter(), 0
    for token, k in tokens.items():
        lower = token.lower()
        if lower in stopwords:
            continue
        n += k
        s = stem(token)
        if s in stems:
            (own if lower in CONTRACTION_STEMS else other)[s] += k
    for document in documents:
        if APOSTROPHE not in document:
            continue
        kept = [t for t in document if t.lower() not in stopwords]
        for i in next_to_apostrophe([stem(t) for t in kept], stemmer):
            (own if kept[i].lower() in CONTRACTION_STEMS else other)[NEXT_TO_APOSTROPHE] += 1
    return {s: (float(f"{other[s] / n:.3g}"), float(f"{own[s] / n:.3g}"))
            for s in [*sorted(stems), NEXT_TO_APOSTROPHE]}, n


def presence_shape(counts: list[Counter], exposures: list[int]) -> float:
    """The shape r of the negative binomial (mean: the word's rate x the article's tokens) of each
    word's count in an article that fits, by maximum likelihood over a grid of r, whether each word
    turns up in each article (what `destem detect` weighs): P(none) = (1 + rate x tokens / r)^-r."""
    total = Counter()
    for c in counts:
        total.update(c)
    rates = {word: k / sum(exposures) for word, k in total.items()}

    def log_likelihood(r: float) -> float:
        ll = 0.0
        for c, e in zip(counts, exposures):
            for word, rate in rates.items():
                absent = -r * math.log1p(rate * e / r)
                ll += math.log(-math.expm1(absent)) if c[word] else absent
        return ll

    return max((round(10 ** (x / 100), 3) for x in range(-200, 101)), key=log_likelihood)


def shape_growth(counts: list[Counter], exposures: list[int], one: float, runs: tuple[int, ...] = (2, 5, 10)) -> float:
    """The power g in shape(m articles) = `one` (an article's shape) x m^g: `presence_shape` fitted on
    runs of m consecutive articles, and g by least squares (through the origin) of log shape ratio on log m."""
    points = []
    for m in runs:
        grouped = [sum(counts[i:i + m], Counter()) for i in range(0, len(counts) - m + 1, m)]
        exposed = [sum(exposures[i:i + m]) for i in range(0, len(counts) - m + 1, m)]
        points.append((math.log(m), math.log(presence_shape(grouped, exposed) / one)))
        print(f"  runs of {m} articles: shape {math.exp(points[-1][1]) * one:.3f}")
    return round(sum(x * y for x, y in points) / sum(x * x for x, _ in points), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="a corpus file (# Title, a paragraph a line)")
    parser.add_argument("--articles", type=int, default=300, help="articles read from the start (default: 300)")
    parser.add_argument("--contraction-articles", type=int, default=3000,
                        help="articles read from the start for the contraction stems (default: 3000)")
    parser.add_argument("--out", default=OUT, help="the file written (default: pipeline/text/detect_rates.json)")
    args = parser.parse_args()
    count = max(args.articles, args.contraction_articles)
    documents = [d.text for d in itertools.islice(read_documents(args.corpus), count)]
    tokenized = [tokenize(text) for text in documents]  # once: every pipeline tokenizes alike
    many = Counter(token for tokens in tokenized[:args.contraction_articles] for token in tokens)
    by_variant = {variant: Counter(t for text, tokens in zip(documents[:args.articles], tokenized)
                                   for t in variant_tokens(text, tokens, variant)) for variant in VARIANTS}
    rates, variant_rates, contractions, measured = {}, {}, {}, []
    for stemmer, stopwords in itertools.product(DETECT_STEMMERS, LIST_NAMES):
        for variant, tokens in by_variant.items():
            types = Counter()
            removed, stem = stopword_list(stopwords), stem_function(stemmer)
            for token, k in tokens.items():
                if token.lower() not in removed:
                    types[stem(token)] += k
            counts = tell_counts(types, stemmer)
            n = sum(types.values())
            tells = {name: round(counts[name] / n, 6) for name in TELLS}
            if variant == "treebank":
                rates[(stemmer, stopwords)] = tells
            else:
                variant_rates[(variant, stemmer, stopwords)] = tells
        contractions[(stemmer, stopwords)], kept = contraction_rates(many, tokenized[:args.contraction_articles],
                                                                     stemmer, stopwords)
        measured.append(kept)
        print(f"{stemmer:>16} {stopwords:>8}: {sum(by_variant['treebank'].values()):,} tokens; {kept:,} for the "
              f"contraction stems", flush=True)
    listed = {variant: listed_rates(tokens) for variant, tokens in by_variant.items()}
    articles = tokenized[:args.contraction_articles]
    own = [Counter(t.lower() for t in tokens if t.lower() in CONTRACTION_STEMS) for tokens in articles]
    exposure = [sum(t.lower() not in NLTK_127_STOPWORDS for t in tokens) for tokens in articles]
    shape = presence_shape(own, exposure)
    growth = shape_growth(own, exposure, shape)
    article_tokens = round(sum(exposure) / len(exposure))
    print(f"own contraction tokens per article: negative binomial shape {shape} "
          f"({sum(not c for c in own):,} of {len(own):,} articles have none); x (tokens / {article_tokens})^{growth}")
    measured_on = {"corpus": args.corpus.split("/")[-1], "articles": args.articles,
                   "contraction_articles": args.contraction_articles}
    FittedRates(rates, contractions, contraction_dispersion=shape, contraction_article_tokens=article_tokens,
                contraction_dispersion_growth=growth, contraction_min_rate=float(f"{1 / min(measured):.3g}"),
                measured_on=measured_on, variant_rates=variant_rates,
                listed_words={variant: words for variant, (words, _) in listed.items()},
                listed_stems_of_other_words={variant: other for variant, (_, other) in listed.items()},
                short_stems=frozenset().union(*short_stems(by_variant["alpha"] + by_variant["alpha3"]).values()),
                short_stems_by_stemmer=short_stems(Counter(
                    t for text, tokens in zip(documents[:args.contraction_articles], tokenized)
                    for variant in ("alpha", "alpha3") for t in variant_tokens(text, tokens, variant)))).write(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
