"""Stemmed-text pipelines as they are run in the wild, for measuring `destem detect` on them
(`detect_wild_bar.py`, data/recipes/detect_rates.py): each makes one line of stems of a paragraph,
and says what detect should name.

- destem's own (Punkt sentences, NLTK Treebank tokens, a stopword list, a stemmer, punctuation kept),
  with any of detect's stopword lists and stemmers, WordNet lemmas included;
- the tutorial line: `word_tokenize`, keep `w.isalpha()`, lowercase, NLTK's stopwords, Porter;
- the letters-only recipe of the R8/R52/20NG/WebKB corpora: lowercase, letters only, words under 3
  letters dropped, stopwords, Porter;
- gensim's `preprocess_string` (its own stopwords, its Porter, punctuation, numbers and short words
  dropped): Porter as Martin's variant, which gensim's stems are (NLTK's MARTIN_EXTENSIONS make the same
  stems of every word of wiki-01's first 20,000 lines);
- NLTK's list less its negations ("not", "no", "nor", "don", "won", ...), as sentiment analysis keeps them.

WordNet lemmas need NLTK's WordNet: NLTK_DATA naming a folder with corpora/wordnet/ (the
`wordnet.zip` of NLTK's data, or the files of Debian's wordnet-base and wordnet-sense-index with a
`lexnames` file).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from destem.text.forward import STEMMERS, stemmer_function, tokenize
from destem.text.stoplists import stopword_list

LEMMAS = "wordnet-lemmas"


@cache
def lemmatizer() -> Callable[[str], str]:
    """NLTK's `WordNetLemmatizer().lemmatize` (nouns, its default), cached per word."""
    from functools import lru_cache

    from nltk.stem import WordNetLemmatizer

    return lru_cache(maxsize=1 << 18)(WordNetLemmatizer().lemmatize)


def stem_function(stemmer: str) -> Callable[[str], str]:
    """One of forward.STEMMERS, or "wordnet-lemmas" (of the lowercase word)."""
    if stemmer == LEMMAS:
        lemma = lemmatizer()
        return lambda token: lemma(token.lower())
    return stemmer_function(stemmer)


@dataclass(frozen=True)
class Kind:
    """A pipeline that makes stems of prose, and what detect should name of its output."""

    name: str
    stemmer: str  # one of detect's stemmers
    stopwords: str  # one of stoplists.LIST_NAMES
    punctuation: str = "kept"  # kept, dropped
    numbers: str = "kept"
    short_words: str = "kept"
    tokens: str = "treebank"  # treebank; isalpha (Treebank tokens that are letters only); letters (runs of a-z); raw
    restorable_as: str | None = None  # the forward.PIPELINES name restore handles it as, if any (with the words
    # a list that `keeps` some of NLTK's keeps: "destem+no,not")
    keeps: tuple[str, ...] = ()  # words `stopwords` removes that this pipeline keeps: a list detect cannot know
    expected: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.expected.update(stemmer=self.stemmer, stopwords="unknown" if self.keeps else self.stopwords,
                             punctuation=self.punctuation, numbers=self.numbers, short_words=self.short_words)

    def removed(self) -> frozenset[str]:
        return stopword_list(self.stopwords) - set(self.keeps)

    def words(self, paragraph: str) -> list[str]:
        """The tokens the stopword list and the stemmer see."""
        if self.tokens == "letters":
            words = re.findall("[a-z]+", paragraph.lower())
        else:
            words = tokenize(paragraph)
            if self.tokens == "isalpha":
                words = [w.lower() for w in words if w.isalpha()]
        return [w for w in words if len(w) >= 3] if self.short_words == "dropped" else words

    def make(self, paragraph: str) -> str:
        if self.tokens == "raw":
            return paragraph
        if self.name == GENSIM:
            from gensim.parsing.preprocessing import preprocess_string

            return " ".join(preprocess_string(paragraph))
        stopwords, stem = self.removed(), stem_function(self.stemmer)
        return " ".join(stem(w) for w in self.words(paragraph) if w.lower() not in stopwords)


GENSIM = "gensim preprocess_string"
# what sentiment analysis keeps of NLTK's list: the negations
NEGATIONS = ("no", "nor", "not", "don", "didn", "doesn", "isn", "wasn", "weren", "won", "wouldn", "couldn", "shouldn",
             "aren", "hasn", "haven", "hadn", "against")


def kinds(lemmas: bool = True) -> list[Kind]:
    """The inputs of the wild bar: the model's own and Snowball's (restorable), the tutorial line, the
    letters-only recipe, gensim's, Porter with the other libraries' lists, Lancaster, lemmas, no stemmer,
    NLTK's list less its negations (a list detect does not know), and plain prose."""
    dropped = {"punctuation": "dropped", "numbers": "dropped"}
    made = [Kind("destem (porter-nltk / nltk-179)", "porter-nltk", "nltk-179", restorable_as="destem"),
            Kind("snowball / nltk-179", "snowball-english", "nltk-179", restorable_as="snowball"),
            Kind("isalpha tutorial (porter-nltk / nltk-179)", "porter-nltk", "nltk-179", tokens="isalpha", **dropped),
            Kind("letters only, 3+ letters (porter-nltk / nltk-179)", "porter-nltk", "nltk-179", tokens="letters",
                 short_words="dropped", **dropped),
            Kind("letters only, 3+ letters (porter-nltk / smart)", "porter-nltk", "smart", tokens="letters",
                 short_words="dropped", **dropped),
            Kind(GENSIM, "porter-martin", "gensim", tokens="letters", short_words="dropped", **dropped),
            Kind("porter-nltk / sklearn", "porter-nltk", "sklearn"),
            Kind("porter-nltk / spacy", "porter-nltk", "spacy"),
            Kind("porter-nltk / smart", "porter-nltk", "smart"),
            Kind("lancaster / nltk-179", "lancaster", "nltk-179"),
            Kind("wordnet-lemmas / nltk-179", LEMMAS, "nltk-179"),
            Kind("none / nltk-179", "none", "nltk-179"),
            Kind("porter-nltk / nltk-179 keeping negations", "porter-nltk", "nltk-179", keeps=NEGATIONS,
                 restorable_as="destem"),
            Kind("plain prose", "none", "none", tokens="raw")]
    return [k for k in made if lemmas or k.stemmer != LEMMAS]


DETECT_STEMMERS = (*STEMMERS, LEMMAS)
