"""Which forward pipeline made a stemmed text (`destem detect`): the stemmer, the stopword list,
lowercasing and the tokenizer, told from the tokens alone.

Each stemmer leaves tells: Porter keeps "-ly" as "-li" (`quickli`) where Snowball drops it
(`quick`); Porter's original algorithm and Martin's variant turn a final "y" after a vowel into
"i" (`dai`, `wai`) where NLTK's Porter keeps it (`day`); the original also makes "'s" into "'";
Lancaster keeps "y" after a consonant (`party`, not `parti`); text nobody stemmed keeps "-ing"
and "-ed". Stopword lists leave the words they keep (`the`, `of`; `won`, `isn` kept by the
127-word list only). Each tell is counted, and every (stemmer, stopword list) pair expects each
count at the rate measured on training prose (`detect_rates.json`, written by data/recipes/detect_rates.py);
the pair under which the counts are likeliest (negative binomial) is the answer.

The 127- and 179-word lists differ only in the contraction stems (`won`, `m`, `d`, `o`, `y`, ...),
about one token in 1,350, and some of them are also stems of other words (Porter's original
algorithm makes `o` of "OS" and `m` of "MS"; Snowball makes `ll` of "'ll"). So each contraction
stem counts once, as turned up or not (a topic word repeated is not more evidence): it turns up
from other words at the rate measured for that stemmer, under either list, and, under a list
that keeps its words, from its own tokens too, at a rate that varies much from text to text. A
stem no other word makes settles the list, and so does one next to an apostrophe token (Treebank
makes "isn" "’" "t" of "isn’t", "i" "’" "m" of "I’m"); a stem that other words make weighs little, and
none turning up weighs little in one article and more in a text of many (their counts vary less).
The confidence is the posterior share of the answer's stemmer, or of its stopword list, whichever
is lower (`stemmer_confidence`, `stopwords_confidence`).
"""
from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from .forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, STEMMERS, ForwardPipeline, stemmer_function
from .textio import atomic_write

RATES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "detect_rates.json")
LIST_STEMS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "list_stems.json")

SNIFF_TOKENS = 20_000  # tokens read: enough for every rate, a fraction of a second
MIN_RATE = 1e-5  # per token: a tell never seen under a pipeline may still turn up once
DISPERSION = 2.0  # of the counts' negative binomial: how much a tell's rate varies between texts
MAX_CAPITALIZED_SHARE = 0.01  # every NLTK stemmer lowercases; prose has a capital in one token of ten
OTHER_LIST_FACTOR = 4  # stopword counts this far off the chosen list's rate: another list made them
PRIOR_ODDS = 10  # of the expected pipeline against each other (stemmer, list) pair

# Common words that end in a vowel and "y": NLTK's Porter and Snowball keep the "y" (`day`), Porter's
# original algorithm and Martin's variant make it "i" (`dai`). Words, not an ending, because names
# end in "-ai" and "-ei" whatever the stemmer (Shanghai, Mumbai).
VOWEL_Y_WORDS = frozenset("""
day way may play say stay key boy today away essay journey valley survey money holiday display delay
monday tuesday wednesday thursday friday saturday sunday railway highway subway gateway relay array
spray tray pray bay ray hay jersey turkey kidney hockey jockey alley volley trolley chimney attorney
monkey donkey convoy envoy employ destroy enjoy deploy obey convey guy buy grey prey
""".split())  # noqa: SIM905 - word lists read as text
Y_TO_I_WORDS = frozenset(word[:-1] + "i" for word in VOWEL_Y_WORDS)
# Stopwords left in, as Porter cuts them and as Snowball, which leaves short words whole, keeps them.
CUT_STOPWORDS = frozenset("wa ha thi hi doe veri onli ani becaus dure abov befor".split())  # noqa: SIM905
WHOLE_STOPWORDS = frozenset("was has this his does very only any because during above before".split())  # noqa: SIM905

# Each tell has a name, which `destem detect` shows (its evidence), and an id, which detect_rates.json keys
# its rates by: the name may be reworded, the id stays.
# Tells of the stemmer, as patterns over lowercase tokens: id -> (name, pattern).
_STEMMER_TELLS = {
    "ing_ed_endings": ("-ing/-ed endings (governing)", r"^[a-z]{3,}(ing|ed)$"),
    "consonant_y_endings": ("consonant + y endings (party)", r"^[a-z]+[^aeiouy]y$"),
    "consonant_i_endings": ("consonant + i endings (parti)", r"^[a-z]+[^aeiou]i$"),
    "li_endings": ("-li endings Snowball removes (quickli)", r"^[a-z]{3,}[cdeghkmnrt]li$"),
    "u_endings": ("-u endings Porter leaves of -us (statu, famou)", r"^[a-z]{2,}[iot]u$"),
    "us_endings": ("-us endings (status, famous)", r"^[a-z]{2,}[iot]us$"),
    "ral_rat_endings": ("-ral/-rat endings Porter cuts (general, generat)", r"^[a-z]{2,}r(al|at)$"),
    "logi_bli_endings": ("-logi/-bli endings (technologi)", r"^[a-z]+(logi|bli)$"),
    "log_bl_endings": ("-log/-bl endings (technolog)", r"^[a-z]+(log|bl)$"),
    "e_endings": ("-e endings (agre)", r"^[a-z]{2,}e$"),
    "apostrophe_s_tokens": ("'s tokens", r"^'s$"),
    "apostrophe_tokens": ("' tokens", r"^'$"),
}
STEMMER_TELLS: dict[str, re.Pattern] = {name: re.compile(pattern) for name, pattern in _STEMMER_TELLS.values()}
VOWEL_Y_TELL = "vowel + y words (day, way, may)"
Y_TO_I_TELL = "their y made i (dai, wai, mai)"
CUT_STOPWORDS_TELL = "stopwords cut (wa, ha, thi)"
WHOLE_STOPWORDS_TELL = "stopwords whole (was, has, this)"
STOPWORDS_127_TELL = "stopwords of the 127-word list (the, of)"
CONTRACTIONS_TELL = "contraction stems of the 153/179-word lists (won, isn, y)"
TELLS = [*STEMMER_TELLS, VOWEL_Y_TELL, Y_TO_I_TELL, CUT_STOPWORDS_TELL, WHOLE_STOPWORDS_TELL, STOPWORDS_127_TELL,
         CONTRACTIONS_TELL]  # the keys of each pair's rates in RATES
COUNTED_TELLS = TELLS[:-1]  # the negative binomial's; the contraction stems are weighed one by one
# Treebank splits "isn't" into "is" "n't", but "isn’t" (a typographic apostrophe) into "isn" "’" "t", "I’m" into
# "I" "’" "m", "O’Brien" into "O" "’" "Brien": a word of the 153/179-word lists' additions on its side of that
# apostrophe is the word itself, which the list kept, not another word's stem (Porter's original "o" of "OS"); it
# is weighed as one more stem, under NEXT_TO_APOSTROPHE. (The plain ' is no such sign: Treebank splits contractions
# with it, and it is left of "players'", and of "'s" by Porter's original algorithm.)
APOSTROPHE = "’"
AFTER_APOSTROPHE = frozenset("d ll m re ve".split())  # noqa: SIM905 - I’m, we’ve, they’re, you’ll, he’d
BEFORE_APOSTROPHE = CONTRACTION_STEMS - {"ll", "m", "re", "ve"}  # isn’t, won’t, ma’am, y’all, O’Brien, d’Artagnan
NEXT_TO_APOSTROPHE = "contraction stems next to ’ (isn ’ t, i ’ m, o ’ brien)"
TELL_IDS: dict[str, str] = {  # name -> id, for every tell with a rate in detect_rates.json
    **{name: tell_id for tell_id, (name, _) in _STEMMER_TELLS.items()},
    VOWEL_Y_TELL: "vowel_y_words",
    Y_TO_I_TELL: "y_to_i_words",
    CUT_STOPWORDS_TELL: "stopwords_cut",
    WHOLE_STOPWORDS_TELL: "stopwords_whole",
    STOPWORDS_127_TELL: "stopwords_127",
    CONTRACTIONS_TELL: "contraction_stems",
    NEXT_TO_APOSTROPHE: "contraction_stems_next_to_apostrophe",  # a key of the contraction stems' rates
}
TELL_NAMES = {tell_id: name for name, tell_id in TELL_IDS.items()}


@dataclass(frozen=True)
class FittedRates:
    """What data/recipes/detect_rates.py measured on training prose, as detect weighs it: keyed by
    (stemmer, stopword list) and by the tells' names."""

    rates: dict[tuple[str, str], dict[str, float]]  # per token, of each of TELLS
    # per contraction stem (and NEXT_TO_APOSTROPHE): (rate other words stem to it, rate of its own tokens the
    # list keeps)
    contraction_rates: dict[tuple[str, str], dict[str, tuple[float, float]]]
    contraction_dispersion: float  # negative binomial shape of a stem's own tokens in an article
    contraction_article_tokens: int  # an article's tokens on average, less the 127 stopwords
    contraction_dispersion_growth: float  # a text of m articles' tokens: shape x m^this
    contraction_min_rate: float  # once in the tokens measured: a stem never seen may still turn up
    measured_on: dict = field(default_factory=dict)  # the corpus and how many of its articles

    def to_json(self) -> dict:
        """The document detect_rates.json holds: pairs nested as stemmer -> stopword list, tells by id."""
        pairs: dict[str, dict] = {}
        for (stemmer, stopwords), rates in self.rates.items():
            contractions = self.contraction_rates[(stemmer, stopwords)]
            stems = [TELL_IDS.get(s, s) for s in contractions]
            pairs.setdefault(stemmer, {})[stopwords] = {
                "tells": {TELL_IDS[name]: rate for name, rate in rates.items()},
                "contraction_stems": {  # own tokens: those the list keeps, where it keeps them
                    "other_words": dict(zip(stems, (a for a, _ in contractions.values()))),
                    "own_tokens": dict(zip(stems, (b for _, b in contractions.values())))}}
        return {"about": "Per-token rates of detect's tells under each (stemmer, stopword list) pair, measured on "
                         "training prose by data/recipes/detect_rates.py. Generated: do not edit.",
                "measured_on": self.measured_on,
                "contraction_dispersion": self.contraction_dispersion,
                "contraction_article_tokens": self.contraction_article_tokens,
                "contraction_dispersion_growth": self.contraction_dispersion_growth,
                "contraction_min_rate": self.contraction_min_rate,
                "pairs": pairs}

    @classmethod
    def from_json(cls, document: dict) -> FittedRates:
        rates, contraction_rates = {}, {}
        for stemmer, lists in document["pairs"].items():
            for stopwords, pair in lists.items():
                rates[(stemmer, stopwords)] = {TELL_NAMES[t]: rate for t, rate in pair["tells"].items()}
                other, own = pair["contraction_stems"]["other_words"], pair["contraction_stems"]["own_tokens"]
                contraction_rates[(stemmer, stopwords)] = {TELL_NAMES.get(s, s): (a, own[s]) for s, a in other.items()}
        return cls(rates, contraction_rates, document["contraction_dispersion"],
                   document["contraction_article_tokens"], document["contraction_dispersion_growth"],
                   document["contraction_min_rate"], document.get("measured_on", {}))

    def write(self, path: str = RATES_FILE) -> None:
        with atomic_write(path) as f:
            f.write(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n")


def read_rates(path: str = RATES_FILE) -> FittedRates:
    with open(path, encoding="utf-8") as f:
        return FittedRates.from_json(json.load(f))


FITTED = read_rates()  # read once, at import: a few thousand numbers, well under a millisecond
RATES = FITTED.rates
CONTRACTION_RATES = FITTED.contraction_rates
CONTRACTION_DISPERSION = FITTED.contraction_dispersion
CONTRACTION_ARTICLE_TOKENS = FITTED.contraction_article_tokens
CONTRACTION_DISPERSION_GROWTH = FITTED.contraction_dispersion_growth
CONTRACTION_MIN_RATE = FITTED.contraction_min_rate
TREEBANK_QUOTES = ("``", "''")  # Treebank tokens turn " into these
OTHER_TOKENS = re.compile(r'"|[a-z](n\'t|\'s|\'re|\'ve|\'ll)$')  # not Treebank: " or "don't" whole


@dataclass
class Detection:
    stemmer: str  # one of forward.STEMMERS
    stopwords: str  # nltk-179 (or the 153-word list: the same on Treebank tokens), nltk-127, none, other
    lowercased: bool
    tokens: str  # nltk-treebank, other, or unknown (no quote or contraction to tell by)
    confidence: float  # the lower of the two below
    evidence: dict[str, int] = field(default_factory=dict)  # tells found, with counts
    tokens_read: int = 0
    stemmer_confidence: float = 1.0  # posterior share of the stemmer
    stopwords_confidence: float = 1.0  # of the stopword list (for "other": of stopwords removed, or not)
    shares: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)  # posterior of each pair

    def matches(self, pipeline: ForwardPipeline) -> bool:
        return (self.stemmer == pipeline.stemmer and self.stopwords == pipeline.stopwords
                and self.lowercased == pipeline.lowercase and self.tokens != "other")

    def confidence_against(self, pipeline: ForwardPipeline) -> float:
        """How sure it is that `pipeline` did not make the input: the posterior share of the other
        (stemmer, stopword list) pairs; where the answer is its pair (but the capitals or the
        tokens differ), the confidence. A 127-word-list input without "won", "m", "d" is the
        179-word list's text: the answer's list is then uncertain, but that another stemmer made
        it need not be."""
        pair = (pipeline.stemmer, pipeline.stopwords)
        if (self.stemmer, self.stopwords) == pair:
            return self.confidence
        return 1.0 - self.shares.get(pair, 0.0)

    def describe(self) -> str:
        found = ForwardPipeline(stopwords=self.stopwords, stemmer=self.stemmer, lowercase=self.lowercased)
        tokens = ", not NLTK Treebank tokens" if self.tokens == "other" else ""
        return found.describe() + tokens

    def to_json(self, model: ForwardPipeline) -> dict:
        return {"stemmer": self.stemmer, "stopwords": self.stopwords, "lowercased": self.lowercased,
                "tokens": self.tokens, "matches_model": self.matches(model), "model_pipeline": model.describe(),
                "confidence": round(self.confidence, 4), "stemmer_confidence": round(self.stemmer_confidence, 4),
                "stopwords_confidence": round(self.stopwords_confidence, 4), "tokens_read": self.tokens_read,
                "evidence": self.evidence}


@cache
def list_stems() -> dict[str, dict[str, str]]:
    """stemmer -> {word: stem}: the stems Snowball's and Lancaster's stemmers make of the fixed lists' words,
    where a stem is not the word (list_stems.json, written by data/recipes/list_stems.py)."""
    with open(LIST_STEMS_FILE, encoding="utf-8") as f:
        return json.load(f)["changed_stems"]


@cache
def list_stemmer(stemmer: str) -> Callable[[str], str]:
    """How `stemmer` stems the words of the fixed lists here: Snowball's and Lancaster's stems come from a
    table, since their NLTK modules import NLTK whole (0.5-1.2 s of every restore); Porter's are computed."""
    table = list_stems().get(stemmer)
    if table is not None:
        return lambda word: table.get(word, word)
    return stemmer_function(stemmer)


@cache
def stopword_stems(stemmer: str) -> frozenset[str]:
    """The 127-word list's words and their stems under `stemmer` (what a list that keeps them leaves)."""
    stem = list_stemmer(stemmer)
    return frozenset({stem(w) for w in NLTK_127_STOPWORDS} | NLTK_127_STOPWORDS)


@cache
def contraction_stems(stemmer: str) -> frozenset[str]:
    """The stems `stemmer` makes of the 153/179-word lists' additions ("won", "m", "d", ...), less
    those it makes of the 127-word list's words too (Lancaster's "ar" of "aren" and of "are")."""
    stem = list_stemmer(stemmer)
    return frozenset({stem(w) for w in CONTRACTION_STEMS} - stopword_stems(stemmer))


def tell_counts(types: Counter, stemmer: str) -> dict[str, int]:
    """How often each of `TELLS` occurs among tokens (`types`: lowercase token -> count), the
    stopword tells as `stemmer` stems the lists."""
    stopwords, contractions = stopword_stems(stemmer), contraction_stems(stemmer)
    counts = dict.fromkeys(TELLS, 0)
    for token, k in types.items():
        for name, pattern in STEMMER_TELLS.items():
            if pattern.match(token):
                counts[name] += k
        counts[VOWEL_Y_TELL] += k * (token in VOWEL_Y_WORDS)
        counts[Y_TO_I_TELL] += k * (token in Y_TO_I_WORDS)
        counts[CUT_STOPWORDS_TELL] += k * (token in CUT_STOPWORDS)
        counts[WHOLE_STOPWORDS_TELL] += k * (token in WHOLE_STOPWORDS)
        counts[STOPWORDS_127_TELL] += k * (token in stopwords)
        counts[CONTRACTIONS_TELL] += k * (token in contractions)
    return counts


@cache
def apostrophe_halves(stemmer: str) -> tuple[frozenset[str], frozenset[str]]:
    """The contraction stems of `stemmer` that come before the apostrophe ("isn" of "isn’t") and
    those that come after it ("m" of "I’m")."""
    stem, stems = list_stemmer(stemmer), contraction_stems(stemmer)
    return (frozenset({stem(w) for w in BEFORE_APOSTROPHE} & stems),
            frozenset({stem(w) for w in AFTER_APOSTROPHE} & stems))


def next_to_apostrophe(tokens: list[str], stemmer: str) -> list[int]:
    """The positions in `tokens` (lowercase stems) of contraction stems on their side of a ’ token."""
    before, after = apostrophe_halves(stemmer)
    found = []
    for i, token in enumerate(tokens):
        if token == APOSTROPHE:
            found += [i - 1] if i and tokens[i - 1] in before else []
            found += [i + 1] if i + 1 < len(tokens) and tokens[i + 1] in after else []
    return found


def contraction_shape(n: int) -> float:
    """The negative binomial shape of a contraction stem's own tokens in a text of n tokens: an
    article's, grown as measured on runs of consecutive articles (data/recipes/detect_rates.py)."""
    return CONTRACTION_DISPERSION * max(1.0, n / CONTRACTION_ARTICLE_TOKENS) ** CONTRACTION_DISPERSION_GROWTH


def _contraction_log_likelihood(present: set[str], rates: dict[str, tuple[float, float]], n: int,
                                kept: bool) -> float:
    """log P(which contraction stems turn up at least once in n tokens | a pair), each on its own.
    Stem s turns up from other words at rate a (a Poisson), and, if the pair's list keeps its
    words (`kept`), from its own tokens: a negative binomial of mean b n whose shape is small
    in one article (one about an election has "won" many times, most articles none), so that a
    stem absent from it is little evidence, and one present much; a text of many articles
    varies less, and its shape is larger (`contraction_shape`)."""
    shape = contraction_shape(n)
    total = 0.0
    for stem, (a, b) in rates.items():
        absent = -n * max(a, CONTRACTION_MIN_RATE)  # log P(it does not turn up)
        if kept:
            absent -= shape * math.log1p(n * max(b, CONTRACTION_MIN_RATE) / shape)
        total += math.log(-math.expm1(absent)) if stem in present else absent
    return total


def _log_likelihood(counts: dict[str, int], rates: dict[str, float], n: int) -> float:
    """Negative binomial log-likelihood of the counts at the rates (per token), less the terms all
    pairs share: a Poisson whose rate varies from text to text (a sports article has many "won")."""
    total = 0.0
    for name in COUNTED_TELLS:
        k = counts[name]
        expected = max(rates[name], MIN_RATE) * n
        total += (DISPERSION * math.log(DISPERSION / (DISPERSION + expected))
                  + k * math.log(expected / (DISPERSION + expected)))
    return total


def detect_tokens(tokens: list[str], expected: ForwardPipeline | None = None) -> Detection:
    """The likeliest pipeline; `expected` (the model's, when restoring) starts PRIOR_ODDS times likelier
    than each other pair, so that a short text without tells is not taken for another pipeline's."""
    n = len(tokens)
    types = Counter(t.lower() for t in tokens)
    scores: dict[tuple[str, str], float] = {}
    counts_by_stemmer = {stemmer: tell_counts(types, stemmer) for stemmer in STEMMERS}
    lowered = [t.lower() for t in tokens]
    present = {stemmer: {stem for stem in contraction_stems(stemmer) if stem in types} for stemmer in STEMMERS}
    joined = {stemmer: len(next_to_apostrophe(lowered, stemmer)) if APOSTROPHE in types else 0 for stemmer in STEMMERS}
    for stemmer, k in joined.items():
        if k:
            present[stemmer].add(NEXT_TO_APOSTROPHE)
    for (stemmer, stopwords), rates in RATES.items():
        scores[(stemmer, stopwords)] = (_log_likelihood(counts_by_stemmer[stemmer], rates, max(n, 1))
                                        + _contraction_log_likelihood(present[stemmer],
                                                                      CONTRACTION_RATES[(stemmer, stopwords)], n,
                                                                      kept=stopwords != "nltk-179"))
    if expected is not None:
        scores[(expected.stemmer, expected.stopwords)] += math.log(PRIOR_ODDS)
    best = max(scores, key=scores.get)
    posterior = {pair: math.exp(score - scores[best]) for pair, score in scores.items()}
    stemmer, stopwords = best
    counts = counts_by_stemmer[stemmer]
    expected = RATES[best][STOPWORDS_127_TELL] * n
    found = counts[STOPWORDS_127_TELL]
    if n and not expected / OTHER_LIST_FACTOR - 3 <= found <= expected * OTHER_LIST_FACTOR + 3:
        stopwords = "other"
    # of another list than these, only that stopwords were removed (or not) is weighed
    same_list = (lambda w: w == stopwords) if stopwords != "other" else (lambda w: (w != "none") == (best[1] != "none"))
    total = sum(posterior.values())
    shares = {pair: p / total for pair, p in posterior.items()}
    stemmer_confidence = sum(p for (s, _), p in shares.items() if s == stemmer)
    stopwords_confidence = sum(p for (_, w), p in shares.items() if same_list(w))
    capitalized = sum(any(ch.isupper() for ch in t) for t in tokens)
    treebank = sum(t in TREEBANK_QUOTES for t in tokens)
    other = sum(k for t, k in types.items() if OTHER_TOKENS.search(t))
    evidence = {name: k for name, k in counts.items() if k}
    evidence |= {NEXT_TO_APOSTROPHE: joined[stemmer]} if joined[stemmer] else {}
    evidence |= {name: k for name, k in (("capitalized tokens", capitalized), ("Treebank quotes (`` '')", treebank),
                                         ('plain quotes or whole contractions (" don\'t)', other)) if k}
    return Detection(stemmer, stopwords, lowercased=capitalized <= MAX_CAPITALIZED_SHARE * n,
                     tokens="other" if other > treebank else "nltk-treebank" if treebank else "unknown",
                     confidence=min(stemmer_confidence, stopwords_confidence), evidence=evidence, tokens_read=n,
                     stemmer_confidence=stemmer_confidence, stopwords_confidence=stopwords_confidence, shares=shares)


def detect_documents(documents: Iterable[str], limit: int = SNIFF_TOKENS,
                     expected: ForwardPipeline | None = None) -> Detection:
    """The pipeline that made these stemmed documents, from their first `limit` tokens."""
    tokens: list[str] = []
    for document in documents:
        tokens += document.split(None, limit)[: limit - len(tokens)]
        if len(tokens) >= limit:
            break
    return detect_tokens(tokens, expected)
