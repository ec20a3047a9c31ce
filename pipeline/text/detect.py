"""Which forward pipeline made a stemmed text (`destem detect`): the stemmer, the stopword list,
lowercasing and the tokenizer, told from the tokens alone.

Each stemmer leaves tells: Porter keeps "-ly" as "-li" (`quickli`) where Snowball drops it
(`quick`); Porter's original algorithm and Martin's variant turn a final "y" after a vowel into
"i" (`dai`, `wai`) where NLTK's Porter keeps it (`day`); the original also makes "'s" into "'";
Lancaster keeps "y" after a consonant (`party`, not `parti`); text nobody stemmed keeps "-ing"
and "-ed". Stopword lists leave the words they keep (`the`, `of`; `won`, `isn` kept by the
127-word list only). Each tell is counted, and every (stemmer, stopword list) pair expects each
count at the rate measured on training prose (`detect_rates.py`); the pair under which the counts
are likeliest (negative binomial) is the answer; the confidence is the posterior share of its
stemmer, or of its stopwords being removed (or kept), whichever is lower.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .detect_rates import RATES
from .forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, STEMMERS, ForwardPipeline, stemmer_function

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
""".split())
Y_TO_I_WORDS = frozenset(word[:-1] + "i" for word in VOWEL_Y_WORDS)
# Stopwords left in, as Porter cuts them and as Snowball, which leaves short words whole, keeps them.
CUT_STOPWORDS = frozenset("wa ha thi hi doe veri onli ani becaus dure abov befor".split())
WHOLE_STOPWORDS = frozenset("was has this his does very only any because during above before".split())

# Tells of the stemmer, as patterns over lowercase tokens: name -> pattern.
STEMMER_TELLS: dict[str, re.Pattern] = {name: re.compile(pattern) for name, pattern in {
    "-ing/-ed endings (governing)": r"^[a-z]{3,}(ing|ed)$",
    "consonant + y endings (party)": r"^[a-z]+[^aeiouy]y$",
    "consonant + i endings (parti)": r"^[a-z]+[^aeiou]i$",
    "-li endings Snowball removes (quickli)": r"^[a-z]{3,}[cdeghkmnrt]li$",
    "-u endings Porter leaves of -us (statu, famou)": r"^[a-z]{2,}[iot]u$",
    "-us endings (status, famous)": r"^[a-z]{2,}[iot]us$",
    "-ral/-rat endings Porter cuts (general, generat)": r"^[a-z]{2,}r(al|at)$",
    "-logi/-bli endings (technologi)": r"^[a-z]+(logi|bli)$",
    "-log/-bl endings (technolog)": r"^[a-z]+(log|bl)$",
    "-e endings (agre)": r"^[a-z]{2,}e$",
    "'s tokens": r"^'s$",
    "' tokens": r"^'$",
}.items()}
VOWEL_Y_TELL = "vowel + y words (day, way, may)"
Y_TO_I_TELL = "their y made i (dai, wai, mai)"
CUT_STOPWORDS_TELL = "stopwords cut (wa, ha, thi)"
WHOLE_STOPWORDS_TELL = "stopwords whole (was, has, this)"
# Clitics Treebank splits off, which no list removes; Snowball stems them to the 153-word list's
# "d", "ll", "m", "re", "ve", which then tell nothing about the list.
CLITICS = ("'d", "'ll", "'m", "'re", "'ve")
STOPWORDS_127_TELL = "stopwords of the 127-word list (the, of)"
CONTRACTIONS_TELL = "contraction stems of the 153/179-word lists (won, isn, y)"
TELLS = [*STEMMER_TELLS, VOWEL_Y_TELL, Y_TO_I_TELL, CUT_STOPWORDS_TELL, WHOLE_STOPWORDS_TELL, STOPWORDS_127_TELL,
         CONTRACTIONS_TELL]  # the keys of each pair's rates in detect_rates.RATES
TREEBANK_QUOTES = ("``", "''")  # Treebank tokens turn " into these
OTHER_TOKENS = re.compile(r'"|[a-z](n\'t|\'s|\'re|\'ve|\'ll)$')  # not Treebank: " or "don't" whole


@dataclass
class Detection:
    stemmer: str  # one of forward.STEMMERS
    stopwords: str  # nltk-179 (or the 153-word list: the same on Treebank tokens), nltk-127, none, other
    lowercased: bool
    tokens: str  # nltk-treebank, other, or unknown (no quote or contraction to tell by)
    confidence: float  # posterior share of the stemmer, or of stopwords removed (or not) if lower
    evidence: dict[str, int] = field(default_factory=dict)  # tells found, with counts
    tokens_read: int = 0

    def matches(self, pipeline: ForwardPipeline) -> bool:
        return (self.stemmer == pipeline.stemmer and self.stopwords == pipeline.stopwords
                and self.lowercased == pipeline.lowercase and self.tokens != "other")

    def describe(self) -> str:
        found = ForwardPipeline(stopwords=self.stopwords, stemmer=self.stemmer, lowercase=self.lowercased)
        tokens = ", not NLTK Treebank tokens" if self.tokens == "other" else ""
        return found.describe() + tokens

    def to_json(self, model: ForwardPipeline) -> dict:
        return {"stemmer": self.stemmer, "stopwords": self.stopwords, "lowercased": self.lowercased,
                "tokens": self.tokens, "matches_model": self.matches(model), "model_pipeline": model.describe(),
                "confidence": round(self.confidence, 4), "tokens_read": self.tokens_read, "evidence": self.evidence}


def tell_counts(types: Counter, stemmer: str) -> dict[str, int]:
    """How often each of `TELLS` occurs among tokens (`types`: lowercase token -> count), the
    stopword tells as `stemmer` stems the lists."""
    stem = stemmer_function(stemmer)
    stopword_stems = {stem(w) for w in NLTK_127_STOPWORDS} | NLTK_127_STOPWORDS
    contraction_stems = {stem(w) for w in CONTRACTION_STEMS} - stopword_stems - {stem(c) for c in CLITICS}
    counts = dict.fromkeys(TELLS, 0)
    for token, k in types.items():
        for name, pattern in STEMMER_TELLS.items():
            if pattern.match(token):
                counts[name] += k
        counts[VOWEL_Y_TELL] += k * (token in VOWEL_Y_WORDS)
        counts[Y_TO_I_TELL] += k * (token in Y_TO_I_WORDS)
        counts[CUT_STOPWORDS_TELL] += k * (token in CUT_STOPWORDS)
        counts[WHOLE_STOPWORDS_TELL] += k * (token in WHOLE_STOPWORDS)
        counts[STOPWORDS_127_TELL] += k * (token in stopword_stems)
        counts[CONTRACTIONS_TELL] += k * (token in contraction_stems)
    return counts


def _log_likelihood(counts: dict[str, int], rates: dict[str, float], n: int) -> float:
    """Negative binomial log-likelihood of the counts at the rates (per token), less the terms all
    pairs share: a Poisson whose rate varies from text to text (a sports article has many "won")."""
    total = 0.0
    for name, k in counts.items():
        expected = max(rates[name], MIN_RATE) * n
        total += DISPERSION * math.log(DISPERSION / (DISPERSION + expected)) + k * math.log(expected / (DISPERSION + expected))
    return total


def detect_tokens(tokens: list[str], expected: ForwardPipeline | None = None) -> Detection:
    """The likeliest pipeline; `expected` (the model's, when restoring) starts PRIOR_ODDS times likelier
    than each other pair, so that a short text without tells is not taken for another pipeline's."""
    n = len(tokens)
    types = Counter(t.lower() for t in tokens)
    scores: dict[tuple[str, str], float] = {}
    counts_by_stemmer = {stemmer: tell_counts(types, stemmer) for stemmer in STEMMERS}
    for (stemmer, stopwords), rates in RATES.items():
        scores[(stemmer, stopwords)] = _log_likelihood(counts_by_stemmer[stemmer], rates, max(n, 1))
    if expected is not None:
        scores[(expected.stemmer, expected.stopwords)] += math.log(PRIOR_ODDS)
    best = max(scores, key=scores.get)
    posterior = {pair: math.exp(score - scores[best]) for pair, score in scores.items()}
    stemmer, stopwords = best
    # 127 or 179 words turns on a few rare words (their count is in the evidence), so the confidence is
    # that of the stemmer and of stopwords removed or not
    removed = stopwords != "none"
    confidence = min(sum(p for (s, _), p in posterior.items() if s == stemmer),
                     sum(p for (_, w), p in posterior.items() if (w != "none") == removed)) / sum(posterior.values())
    counts = counts_by_stemmer[stemmer]
    expected = RATES[best][STOPWORDS_127_TELL] * n
    found = counts[STOPWORDS_127_TELL]
    if n and not expected / OTHER_LIST_FACTOR - 3 <= found <= expected * OTHER_LIST_FACTOR + 3:
        stopwords = "other"
    capitalized = sum(any(ch.isupper() for ch in t) for t in tokens)
    treebank = sum(t in TREEBANK_QUOTES for t in tokens)
    other = sum(k for t, k in types.items() if OTHER_TOKENS.search(t))
    evidence = {name: k for name, k in counts.items() if k}
    evidence |= {name: k for name, k in (("capitalized tokens", capitalized), ("Treebank quotes (`` '')", treebank),
                                         ('plain quotes or whole contractions (" don\'t)', other)) if k}
    return Detection(stemmer, stopwords, lowercased=capitalized <= MAX_CAPITALIZED_SHARE * n,
                     tokens="other" if other > treebank else "nltk-treebank" if treebank else "unknown",
                     confidence=confidence, evidence=evidence, tokens_read=n)


def detect_documents(documents: Iterable[str], limit: int = SNIFF_TOKENS,
                     expected: ForwardPipeline | None = None) -> Detection:
    """The pipeline that made these stemmed documents, from their first `limit` tokens."""
    tokens: list[str] = []
    for document in documents:
        tokens += document.split(None, limit)[: limit - len(tokens)]
        if len(tokens) >= limit:
            break
    return detect_tokens(tokens, expected)
