"""Which forward pipeline made a stemmed text (`destem detect`): the stemmer, the stopword list,
whether punctuation, numbers and short words were dropped, lowercasing and the tokenizer, told from
the tokens alone.

Punctuation, numbers and 1-2-letter words are read off simply (`read_filters`): a share of
punctuation tokens, whether any token has a digit, how many kinds of short token there are that no
stemmer makes of a longer word; the thresholds are measured (eval/results/detect/README.md). Text
without punctuation is compared with rates measured on such text: Treebank tokens that are letters
only (`alpha`, the tutorial's `w.isalpha()`), or runs of letters with words under 3 letters dropped
(`alpha3`, the letters-only recipe of the R8/R52 corpora and gensim's `preprocess_string`).

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

The stemmer is chosen first, over every (stemmer, stopword list) pair; the stopword list then, for
that stemmer, with the stems of every list's words counted one by one as well (`probe_rates`: which
of NLTK's, gensim's, the SMART system's, scikit-learn's and spaCy's lists, or none, removed them).
Stems of a list's words left in the text at many times the rate other words make them mean another
list: "unknown", with those words named (`stopwords_kept`).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from .align import CLITICS
from .forward import (
    CONTRACTION_STEMS,
    NLTK_127_STOPWORDS,
    RESTORABLE_STEMMERS,
    STEMMERS,
    STOPWORD_LISTS,
    ForwardPipeline,
    pipeline_of_input,
    restorable_input,
    stemmer_function,
)
from .stoplists import LIST_NAMES, all_listed_words, stopword_list
from .textio import atomic_write

RATES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "detect_rates.json")
LIST_STEMS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "list_stems.json")

SNIFF_TOKENS = 20_000  # tokens read: enough for every rate, a fraction of a second
MIN_RATE = 1e-5  # per token: a tell never seen under a pipeline may still turn up once
DISPERSION = 2.0  # of the counts' negative binomial: how much a tell's rate varies between texts
MAX_CAPITALIZED_SHARE = 0.01  # every NLTK stemmer lowercases; prose has a capital in one token of ten
OTHER_LIST_FACTOR = 4  # stopword counts this far off the chosen list's rate: another list made them
PRIOR_ODDS = 10  # of the expected pipeline against each other (stemmer, list) pair
# of a pair with another library's list against one with NLTK's lists (which most stemmed text is made with, and
# which the first detect knew): a text too short to tell (its absent words the other lists remove) keeps its answer
NEW_PAIR_ODDS = 1 / 10
LEMMAS = "wordnet-lemmas"  # NLTK's WordNetLemmatizer().lemmatize, as nouns (its default)
DETECT_STEMMERS = (*STEMMERS, LEMMAS)  # the stemmers detect names
VARIANTS = ("treebank", "alpha", "alpha3")  # the tokens the rates were measured on (the module's docstring)
KEPT, DROPPED = "kept", "dropped"  # punctuation, numbers, short words
# what a pipeline dropped -> which tokens it kept (ForwardPipeline.keep), where restoring knows that pipeline
KEEP_OF_DROPPED = {(): "all", ("punctuation", "numbers"): "isalpha",
                   ("punctuation", "numbers", "short words"): "letters-3"}
# Punctuation, numbers, short words: thresholds set by what 300 training articles (wiki-01 from article 3,000) show
# through each pipeline of pipeline/lab/wild_pipelines.py, alone and in runs of 5 (`detect_wild_bar --filters`,
# eval/results/detect/wild-filters-wiki01.json). Where punctuation is dropped, so were the numbers and often the
# short words in every pipeline measured; where it is kept, neither: the thresholds lean that way.
MIN_PUNCTUATION_SHARE = 0.01  # Treebank tokens: 11.8% at the least, plain prose 8.0%; text without: none
# shorter, and without punctuation: unknown. Through destem's pipeline every paragraph keeps its full stop: of
# 20,469 paragraphs (wiki-01 articles 3,000-3,599), none had no punctuation token, 865 of them under 10 tokens
# (pipeline/lab/paragraph_punctuation.py, eval/results/detect/paragraph-punctuation.json)
MIN_TOKENS_PUNCTUATION = 10
# no digit in a text this long (punctuation kept, dropped): numbers dropped. Single articles without a digit had up to
# 2,826 tokens; no run of 5 articles was without one
MIN_TOKENS_NUMBERS = {KEPT: 5_000, DROPPED: 1_000}
# kinds of 1-2-letter token that no stemmer makes of a longer word ("uk", "km", "x"), per token. Runs of 5 articles
# through the letters-only pipelines that drop short words had 0.38-0.55 kinds per 1,000 tokens at the 90th-95th
# percentile; through the tutorial line, which keeps them, 0.50 at the least. With punctuation kept 0.35 at the least
# (the SMART list, which removes single letters and more: 0.15 at the 5th percentile, one run of 60 without any; a
# held-out article of 7,949 tokens had one kind): there, only a text without any is taken for one that dropped them
SHORT_TYPES_SHARE = {KEPT: 0.0, DROPPED: 0.0005}
MIN_SHORT_TYPES = {KEPT: 1, DROPPED: 2}
MIN_TOKENS_SHORT = {KEPT: 4_000, DROPPED: 3_000}  # shorter, with too few: unknown
# text read as short words dropped (or too short to tell) that holds this many 1-2-letter tokens its stemmer
# makes of no longer word, and this share of its tokens, kept them (`detect_wild_bar --filters` on 300 training
# articles the rates did not count: through the letters-only recipe at most 7 in an article and 1.8 per 1,000
# tokens in 5; through the isalpha line a median 4.8 per 1,000 in 5)
MIN_UNMADE_SHORT_TOKENS = 8
MIN_UNMADE_SHORT_SHARE = 0.002
UNMADE_SHORT = "1-2-letter tokens the stemmer makes of no longer word (us, os)"
# A listed stem that words of no list make too, at COLLIDING_SHARE of the listed words' rate or more, weighs at most
# this much (nats) against a list: a topic word that stems alike ("computational" as "computer", which gensim's list
# removes) is as likely as 1 in 100 (a mixture with an outlier of that weight). Other listed stems ("whose", "mani")
# are left only by a list that keeps their words.
PROBE_MAX_WEIGHT = math.log(100)
COLLIDING_SHARE = 0.1
STRAY_FACTOR = 4  # a list's stems at this many times the rate other words make them (+ STRAY_MIN): another list
STRAY_MIN = 3
# ... if two or more of its words are left so, or one this many times that no other word of the rates' text made:
# a name can stem to one stopword ("Andes" to "and" in an article about Peru, "innings" to "in" by Porter's original)
STRAY_ALONE_MIN = 10
# Text that keeps some stopwords of every list (R8's list keeps "and", "for", "not") fits "none" best; but if
# this many of NLTK's words that it would hold MISSING_EXPECTED times or more are found at under 1/STRAY_FACTOR
# of that, a list removed them: an unknown one, NLTK's less the words left in the text. Only if they are also this
# share of the words it would hold that often, and their counts likelier removed than kept: an article keeping every
# stopword can lack a few by its topic ("V bomber": "is", "are", "he" of 22; "Sailing": 6 of 42; validation-split
# single articles through the "none" list), where R8's list removes 46 of 55
MIN_MISSING = 3
MIN_MISSING_SHARE = 1 / 3
MISSING_EXPECTED = 10
# a token with ASCII punctuation: "," and "``" of Treebank's, "trilogy," of plain prose; not "isn’t", which gensim's
# preprocess_string leaves (it strips string.punctuation, which has no typographic quotes)
PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")
DIGIT = re.compile("[0-9]")

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
    "s_endings": ("-s endings lemmas remove (families)", r"^[a-z]{2,}[^isu]s$"),
    "ies_endings": ("-ies endings every stemmer and lemmas remove (countries)", r"^[a-z]{2,}ies$"),
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
    # the tells' rates on text without punctuation: (variant, stemmer, stopword list) -> tell -> rate, for the
    # variants but "treebank" (whose are `rates`)
    variant_rates: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)
    # per variant: each listed word's rate per token before any word is removed (`all_listed_words`), and per
    # stemmer the rate at which words of no list stem to one of their stems
    listed_words: dict[str, dict[str, float]] = field(default_factory=dict)
    listed_stems_of_other_words: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    short_stems: frozenset[str] = frozenset()  # the 1-2-letter stems that some stemmer makes of a longer word
    # per stemmer, the 1-2-letter stems it makes of a longer word, measured on more text
    short_stems_by_stemmer: dict[str, frozenset[str]] = field(default_factory=dict)

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
                    "own_tokens": dict(zip(stems, (b for _, b in contractions.values())))},
                "variants": {variant: {TELL_IDS[name]: rate for name, rate in
                                       self.variant_rates[(variant, stemmer, stopwords)].items()}
                             for variant in VARIANTS[1:] if (variant, stemmer, stopwords) in self.variant_rates}}
        return {"about": "Per-token rates of detect's tells under each (stemmer, stopword list) pair, measured on "
                         "training prose by data/recipes/detect_rates.py. Generated: do not edit.",
                "measured_on": self.measured_on,
                "contraction_dispersion": self.contraction_dispersion,
                "contraction_article_tokens": self.contraction_article_tokens,
                "contraction_dispersion_growth": self.contraction_dispersion_growth,
                "contraction_min_rate": self.contraction_min_rate,
                "short_stems": sorted(self.short_stems),
                "short_stems_by_stemmer": {stemmer: sorted(stems) for stemmer, stems in
                                           self.short_stems_by_stemmer.items()},
                "listed_words": self.listed_words,
                "listed_stems_of_other_words": self.listed_stems_of_other_words,
                "pairs": pairs}

    @classmethod
    def from_json(cls, document: dict) -> FittedRates:
        rates, contraction_rates, variant_rates = {}, {}, {}
        for stemmer, lists in document["pairs"].items():
            for stopwords, pair in lists.items():
                rates[(stemmer, stopwords)] = {TELL_NAMES[t]: rate for t, rate in pair["tells"].items()}
                for variant, tells in pair.get("variants", {}).items():
                    variant_rates[(variant, stemmer, stopwords)] = {TELL_NAMES[t]: rate for t, rate in tells.items()}
                other, own = pair["contraction_stems"]["other_words"], pair["contraction_stems"]["own_tokens"]
                contraction_rates[(stemmer, stopwords)] = {TELL_NAMES.get(s, s): (a, own[s]) for s, a in other.items()}
        return cls(rates, contraction_rates, document["contraction_dispersion"],
                   document["contraction_article_tokens"], document["contraction_dispersion_growth"],
                   document["contraction_min_rate"], document.get("measured_on", {}), variant_rates,
                   document.get("listed_words", {}), document.get("listed_stems_of_other_words", {}),
                   frozenset(document.get("short_stems", ())),
                   {stemmer: frozenset(stems) for stemmer, stems in document.get("short_stems_by_stemmer", {}).items()})

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
# A word with a comma on it ("trilogy,"): text split at spaces, not tokenized (plain prose), whose words the tells read
# without the punctuation around them, as they were measured (Treebank splits it off)
ATTACHED_COMMA = re.compile(r"\w,$")
AROUND_WORD = re.compile(r"^[\"'(\[“‘]+|[\"',.;:!?)\]”’]+$")
OTHER_TOKENS = re.compile(r'"|[a-z](n\'t|\'s|\'re|\'ve|\'ll)$')  # not Treebank: " or "don't" whole


UNKNOWN = "unknown"  # of punctuation, numbers and short words: KEPT, DROPPED, or too few tokens to tell
SURE_CONFIDENCE = 0.9  # below it, too few tells to be sure of a reading, or to rule one out (a line or two of stems)
# an input is read as other inputs read together only where its own reading gives their stemmer this share (one
# Snowball paragraph in 150 gave Snowball's stems less; a Snowball file beside Lancaster files gives them none)
MIN_STEMMER_SHARE = 0.01


@dataclass
class Detection:
    stemmer: str  # one of DETECT_STEMMERS
    stopwords: str  # one of stoplists.LIST_NAMES (nltk-179 is also the 153-word list on Treebank tokens), or unknown
    lowercased: bool
    tokens: str  # nltk-treebank, other, or unknown (no quote or contraction to tell by)
    confidence: float  # the lower of the two below
    evidence: dict[str, int] = field(default_factory=dict)  # tells found, with counts
    tokens_read: int = 0
    stemmer_confidence: float = 1.0  # posterior share of the stemmer
    stopwords_confidence: float = 1.0  # of the stopword list (for "unknown": of stopwords removed, or not)
    shares: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)  # posterior of each pair
    punctuation: str = KEPT  # kept, dropped, or unknown (too short to tell)
    numbers: str = KEPT
    short_words: str = KEPT  # words of 1-2 letters
    stopwords_kept: list[str] = field(default_factory=list)  # with "unknown": the listed stopwords still in the text
    nearest_stopwords: str = ""  # with "unknown": the list the text fits best, less those words

    def dropped(self) -> list[str]:
        """Which of punctuation, numbers, short words the input has lost."""
        return [name for name, state in (("punctuation", self.punctuation), ("numbers", self.numbers),
                                         ("short words", self.short_words)) if state == DROPPED]

    @property
    def unsure(self) -> bool:
        """Too few tokens to be sure of the stemmer and stopword list, or of what was dropped."""
        return self.confidence < SURE_CONFIDENCE or UNKNOWN in (self.punctuation, self.numbers, self.short_words)

    def stemmer_shares(self) -> dict[str, float]:
        """Each stemmer's posterior share, over every stopword list."""
        shares: dict[str, float] = {}
        for (stemmer, _), share in self.shares.items():
            shares[stemmer] = shares.get(stemmer, 0.0) + share
        return shares

    def fits(self, reading: Detection | None) -> bool:
        """Whether this input may be read as `reading` (of it and other inputs together) instead: a reading of
        more tokens, sure of their stemmer and of what was dropped, whose stemmer this one does not rule out, that
        drops what this input shows dropped and keeps what it shows kept. (Not sure of their stopword list, maybe:
        NLTK's 127- and 179-word lists differ in contraction stems only, which none of many paragraphs may hold;
        more text still reads it better than one paragraph.)"""
        if (reading is None or reading.tokens_read <= self.tokens_read or reading.stemmer_confidence < SURE_CONFIDENCE
                or UNKNOWN in (reading.punctuation, reading.numbers, reading.short_words)
                or self.stemmer_shares().get(reading.stemmer, 0.0) < MIN_STEMMER_SHARE):
            return False
        return all(own in (UNKNOWN, other) for own, other in ((self.punctuation, reading.punctuation),
                                                              (self.numbers, reading.numbers),
                                                              (self.short_words, reading.short_words)))

    def as_pipeline(self) -> ForwardPipeline:
        return ForwardPipeline(stopwords=self.stopwords, stemmer=self.stemmer, lowercase=self.lowercased)

    def matches(self, pipeline: ForwardPipeline) -> bool:
        return (self.stemmer == pipeline.stemmer and self.stopwords == pipeline.stopwords
                and self.lowercased == pipeline.lowercase and self.tokens != "other" and not self.dropped())

    def restorable_as(self, model: ForwardPipeline, inputs: tuple[str, ...] = ("destem",),
                      as_model_keeps: bool = False) -> str | None:
        """The name (`forward.pipeline_named`) that a model inverting `model`, trained on the input pipelines
        `inputs`, restores this input as (round trip included): destem's own pipeline, with Snowball's or
        Martin's Porter stems, or with punctuation and numbers dropped (the isalpha line) and short words too
        (letters only), any of them with a stopword list that keeps some of the model's stopwords
        ("letters+and,for"); None for another pipeline. `as_model_keeps`: what the model reads input that dropped
        tokens it was not trained without as, its own tokens but the input's stemmer and kept stopwords."""
        dropped = self.dropped()
        if self.punctuation == DROPPED and self.numbers == UNKNOWN:  # no digit, in too few tokens to be sure: read
            dropped.insert(1, "numbers")  # as dropped, as every pipeline measured that drops punctuation does
        keep = model.keep if as_model_keeps else KEEP_OF_DROPPED.get(tuple(dropped))
        if self.tokens == "other" or keep is None:
            return None
        found, kept = dataclasses.replace(self.as_pipeline(), keep=keep), frozenset()
        if self.stopwords == "unknown":  # a list that keeps some of a known one's words: they come back as such
            if self.nearest_stopwords not in STOPWORD_LISTS or not self.stopwords_kept:
                return None
            found, kept = dataclasses.replace(found, stopwords=self.nearest_stopwords), frozenset(self.stopwords_kept)
        if found.stopwords == "nltk-127" and model.stopwords == "nltk-179":  # the 179-word list keeping its additions
            found, kept = dataclasses.replace(found, stopwords="nltk-179"), kept | kept_by_127_list(self.stemmer)
        found = dataclasses.replace(found, kept_stopwords=kept)
        return pipeline_of_input(found) if restorable_input(found, model, inputs) else None

    def confidence_against(self, pipeline: ForwardPipeline) -> float:
        """How sure it is that `pipeline` did not make the input: the posterior share of the other
        (stemmer, stopword list) pairs; where the answer is its pair (but the capitals or the
        tokens differ), the confidence. A 127-word-list input without "won", "m", "d" is the
        179-word list's text: the answer's list is then uncertain, but that another stemmer made
        it need not be. Punctuation, numbers or short words dropped: sure that it did not."""
        if self.dropped():
            return 1.0
        pair = (pipeline.stemmer, pipeline.stopwords)
        if (self.stemmer, self.stopwords) == pair:
            return self.confidence
        return 1.0 - self.shares.get(pair, 0.0)

    def read_as_model(self, model: ForwardPipeline) -> bool:
        """Whether restore and check read the input as `model`'s own: it is, or too few tells say it is not."""
        return self.matches(model) or self.confidence_against(model) < SURE_CONFIDENCE

    def describe(self) -> str:
        if self.stopwords == "unknown":
            kept = ", ".join(self.stopwords_kept[:6]) + (", ..." if len(self.stopwords_kept) > 6 else "")
            stems = "not stemmed" if self.stemmer == "none" else f"{self.stemmer} stems"
            found = (f"{stems}, an unknown stopword list removed (nearest {self.nearest_stopwords}; still in the text: "
                     f"{kept or 'none of its words'})" + ("" if self.lowercased else ", not lowercased"))
        else:
            found = self.as_pipeline().describe()
        dropped = self.dropped()
        if dropped:
            found += ", " + (" and ".join([", ".join(dropped[:-1]), dropped[-1]] if len(dropped) > 1 else dropped)
                             + " dropped")
        return found + (", not NLTK Treebank tokens" if self.tokens == "other" else "")

    def losses(self, model: ForwardPipeline, inputs: tuple[str, ...] = ("destem",)) -> list[str]:
        """What restoring this input with a model that inverts `model` (trained on the input pipelines
        `inputs`) cannot bring back, a clause each."""
        lost = []
        if self.punctuation == DROPPED:
            lost.append("no punctuation in the input: punctuation and sentence breaks are the model's guesses"
                        if self.restorable_as(model, inputs) else
                        "no punctuation in the input: the restoration will have no punctuation or sentence breaks")
        if self.numbers == DROPPED:
            lost.append("numbers were dropped: they cannot come back")
        if self.short_words == DROPPED:
            lost.append("words of 1-2 letters were dropped: those that are not stopwords (initials, UK, km, x) "
                        "cannot come back")
        model_list = stopword_list(model.stopwords)
        if self.stopwords == "unknown" and self.stopwords_kept:
            kept = ", ".join(f"'{w}'" for w in self.stopwords_kept[:6]) + (", ..." if len(self.stopwords_kept) > 6
                                                                             else "")
            lost.append(f"a stopword list that keeps {kept}: those words are restored as themselves"
                        if self.restorable_as(model, inputs) or self.restorable_as(model, inputs, as_model_keeps=True)
                        else
                        f"a stopword list that keeps {kept}: restoring reads them as content words")
        elif self.stopwords == "none" and model.stopwords != "none":
            lost.append("no stopwords were removed: the model adds its own, so function words may come out twice")
        elif self.stopwords not in ("unknown", "none", model.stopwords):
            extra = [w for w in frequent_listed_words() if w in stopword_list(self.stopwords) and w not in model_list]
            if extra:
                named = ", ".join(f"'{w}'" for w in extra[:5])
                lost.append(f"the {self.stopwords} stopword list also removed words the model does not put back "
                            f"({named}, ...): they will be missing")
            elif self.stopwords == "nltk-127" and self.restorable_as(model, inputs):
                lost.append(f"the {self.stopwords} stopword list keeps words the model's removes ('won', 'isn', "
                            "'m', ...): they are restored as themselves, never put into the gaps")
        if self.stemmer not in RESTORABLE_STEMMERS and self.stemmer != model.stemmer:
            what = ("the input is not stemmed" if self.stemmer == "none" else "WordNet lemmas, not stems"
                    if self.stemmer == LEMMAS else f"{self.stemmer} stems")
            lost.append(f"{what}: the model reads {model.stemmer} stems, expect a poor restoration")
        return lost

    def to_json(self, model: ForwardPipeline, inputs: tuple[str, ...] = ("destem",)) -> dict:
        return {"stemmer": self.stemmer, "stopwords": self.stopwords, "lowercased": self.lowercased,
                "tokens": self.tokens, "matches_model": self.matches(model), "model_pipeline": model.describe(),
                "confidence": round(self.confidence, 4), "stemmer_confidence": round(self.stemmer_confidence, 4),
                "stopwords_confidence": round(self.stopwords_confidence, 4), "tokens_read": self.tokens_read,
                "punctuation": self.punctuation, "numbers": self.numbers, "short_words": self.short_words,
                "stopwords_kept": self.stopwords_kept, "nearest_stopwords": self.nearest_stopwords or None,
                "restorable_as": self.restorable_as(model, inputs), "losses": self.losses(model, inputs),
                "evidence": self.evidence}


@cache
def list_stems() -> dict[str, dict[str, str]]:
    """stemmer -> {word: stem}: the stems Snowball's and Lancaster's stemmers make of the fixed lists' words,
    where a stem is not the word (list_stems.json, written by data/recipes/list_stems.py)."""
    with open(LIST_STEMS_FILE, encoding="utf-8") as f:
        return json.load(f)["changed_stems"]


@cache
def list_stemmer(stemmer: str) -> Callable[[str], str]:
    """How `stemmer` stems the words of the fixed lists here: Snowball's and Lancaster's stems and WordNet's
    lemmas come from a table, since their NLTK modules import NLTK whole (0.5-1.2 s of every restore) and
    WordNet is data NLTK downloads; Porter's are computed."""
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
def rewritten_clitics(stemmer: str) -> dict[str, str]:
    """The Treebank clitics `stemmer` writes otherwise ("'re" -> "re": Snowball's): tokens that stemmer
    never leaves."""
    stem = list_stemmer(stemmer)
    return {c: stem(c) for c in sorted(CLITICS) if stem(c) != c}


@cache
def kept_by_127_list(stemmer: str) -> frozenset[str]:
    """What text of NLTK's 127-word list keeps, read as the 179-word list's: the additions that are Treebank
    tokens (the contraction stems), less those `stemmer` also makes of a clitic that both lists keep (Snowball's
    "ll" of "'ll": restored as the clitic, not as itself)."""
    return CONTRACTION_STEMS - set(rewritten_clitics(stemmer).values())


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


def read_filters(tokens: list[str]) -> tuple[str, str, str, dict[str, int]]:
    """Whether punctuation, numbers and short words were kept, dropped, or too few tokens tell
    (the thresholds above), and the counts read."""
    n = len(tokens)
    punctuation = sum(bool(PUNCTUATION.search(t)) for t in tokens)
    digits = sum(bool(DIGIT.search(t)) for t in tokens)
    short = {t.lower() for t in tokens if len(t) <= 2 and t.isalpha()} - FITTED.short_stems
    # a filter by length drops "," and "'s" as it drops "uk": every pipeline measured that drops short words
    # drops punctuation too, so short punctuation tokens say that short words were kept
    short_punctuation = sum(len(t) <= 2 and bool(PUNCTUATION.search(t)) for t in tokens)
    punctuation_state = (KEPT if punctuation and punctuation >= MIN_PUNCTUATION_SHARE * n
                         else DROPPED if n >= MIN_TOKENS_PUNCTUATION else UNKNOWN)
    prior = DROPPED if punctuation_state == DROPPED else KEPT  # which way the thresholds lean
    numbers_state = KEPT if digits else DROPPED if n >= MIN_TOKENS_NUMBERS[prior] else UNKNOWN
    short_state = (KEPT if len(short) >= max(MIN_SHORT_TYPES[prior], SHORT_TYPES_SHARE[prior] * n)
                   or (punctuation_state == KEPT and short_punctuation)
                   else DROPPED if n >= MIN_TOKENS_SHORT[prior] else UNKNOWN)
    counts = {"punctuation tokens": punctuation, "tokens with a digit": digits,
              "kinds of 1-2-letter token no stemmer makes of a longer word (uk, km, x)": len(short),
              "punctuation tokens of 1-2 characters (a filter by length drops them too)": short_punctuation}
    return punctuation_state, numbers_state, short_state, counts


def unmade_short_tokens(types: Counter, stemmer: str) -> int:
    """The 1-2-letter tokens (`types`: lowercase token -> count) that `stemmer` makes of no word of 3 letters or
    more in the rates' text: a pipeline that dropped short words and used that stemmer leaves none ("us", "os"
    under NLTK's Porter; Porter's original makes "us" of "uses")."""
    made = FITTED.short_stems_by_stemmer.get(stemmer)
    if made is None:
        return 0
    return sum(k for token, k in types.items() if len(token) <= 2 and token.isalpha() and token not in made)


def variant_of(punctuation: str, short_words: str) -> str:
    """The tokens whose rates an input is compared with (VARIANTS)."""
    if punctuation != DROPPED:
        return "treebank"
    return "alpha3" if short_words == DROPPED else "alpha"


def pair_rates(variant: str, stemmer: str, stopwords: str) -> dict[str, float]:
    return RATES[(stemmer, stopwords)] if variant == "treebank" else FITTED.variant_rates[(variant, stemmer, stopwords)]


@cache
def pair_contraction_rates(variant: str, stemmer: str, stopwords: str) -> dict[str, tuple[float, float]]:
    """The contraction stems' rates (measured on Treebank tokens) that text of `variant` can have: without
    punctuation no stem is next to a ’ token, and without short words there is no "m", "d", "ll"."""
    rates = CONTRACTION_RATES[(stemmer, stopwords)]
    if variant == "treebank":
        return rates
    return {s: r for s, r in rates.items() if s != NEXT_TO_APOSTROPHE and (variant == "alpha" or len(s) > 2)}


def keeps_contractions(stopwords: str) -> bool:
    return not CONTRACTION_STEMS <= stopword_list(stopwords)


@cache
def frequent_listed_words() -> list[str]:
    """Every list's words, the most frequent first (on Treebank tokens of training prose)."""
    rates = FITTED.listed_words.get("treebank", {})
    return sorted(rates, key=lambda w: (-rates[w], w))


@cache
def probe_rates(variant: str, stemmer: str, stopwords: str) -> dict[str, float]:
    """The rate per token of each stem `stemmer` makes of a listed word, in text of `variant` that `stopwords`
    removed its words from: the words the list keeps, and the words of no list that stem alike. The same stems
    under every list (so that the lists' likelihoods compare), less the contraction stems (weighed apart)."""
    words, other = FITTED.listed_words.get(variant, {}), FITTED.listed_stems_of_other_words.get(variant, {})
    removed, stem = stopword_list(stopwords), list_stemmer(stemmer)
    rates = dict(other.get(stemmer, {}))
    for word, rate in words.items():
        s = stem(word)
        rates[s] = rates.get(s, 0.0) + (0.0 if word in removed else rate)
    kept_share = 1.0 - sum(rate for word, rate in words.items() if word in removed)
    excluded = contraction_stems(stemmer)
    return {s: rate / kept_share for s, rate in rates.items() if s not in excluded}


@cache
def removed_stems(stemmer: str, stopwords: str) -> dict[str, str]:
    """stem -> the commonest of the words `stopwords` removes that `stemmer` makes it of, where the list removes
    every listed word of that stem (a stem that a kept word makes as well is no sign of the list)."""
    stem, removed = list_stemmer(stemmer), stopword_list(stopwords)
    kept = {stem(w) for w in all_listed_words() if w not in removed}
    found: dict[str, str] = {}
    for word in [*frequent_listed_words(), *sorted(removed)]:
        if word in removed and stem(word) not in kept:
            found.setdefault(stem(word), word)
    return found


@cache
def colliding_stems(variant: str, stemmer: str) -> frozenset[str]:
    """The listed words' stems that words of no list make at COLLIDING_SHARE of their rate or more."""
    listed, stem = Counter(), list_stemmer(stemmer)
    for word, rate in FITTED.listed_words.get(variant, {}).items():
        listed[stem(word)] += rate
    other = FITTED.listed_stems_of_other_words.get(variant, {}).get(stemmer, {})
    return frozenset(s for s, rate in other.items() if rate >= COLLIDING_SHARE * listed[s])


def _probe_log_likelihoods(types: Counter, rates: dict[str, dict[str, float]], n: int,
                           colliding: frozenset[str]) -> dict[str, float]:
    """Per list (`rates`: list -> `probe_rates`), the negative binomial log-likelihood of each listed stem's count,
    less the terms every list shares; a `colliding` stem weighs PROBE_MAX_WEIGHT at most against a list."""
    totals = dict.fromkeys(rates, 0.0)
    for s in next(iter(rates.values()), {}):
        k = types.get(s, 0)
        terms = {}
        for stopwords, probe in rates.items():
            expected = max(probe[s], MIN_RATE) * n
            terms[stopwords] = (DISPERSION * math.log(DISPERSION / (DISPERSION + expected))
                                + k * math.log(expected / (DISPERSION + expected)))
        floor = max(terms.values()) - PROBE_MAX_WEIGHT if s in colliding else -math.inf
        for stopwords, term in terms.items():
            totals[stopwords] += max(term, floor)
    return totals


def stray_stopwords(types: Counter, variant: str, stemmer: str, stopwords: str, n: int) -> tuple[int, float, list]:
    """The stems of words `stopwords` removes, counted in the text (k) and expected of other words (e), and
    the words whose stems are left at STRAY_FACTOR times their expectation: those the list kept."""
    rates = probe_rates(variant, stemmer, stopwords)
    k, e, strays = 0, 0.0, []
    for s, word in removed_stems(stemmer, stopwords).items():
        if s not in rates:
            continue
        found, expected = types.get(s, 0), rates[s] * n
        k, e = k + found, e + expected
        if found >= STRAY_MIN and found > STRAY_FACTOR * expected + STRAY_MIN:
            strays.append((found - expected, word, s))
    other = FITTED.listed_stems_of_other_words.get(variant, {}).get(stemmer, {})
    if len(strays) == 1 and (strays[0][0] < STRAY_ALONE_MIN or other.get(strays[0][2])):
        strays = []
    return k, e, [word for _, word, _ in sorted(strays, reverse=True)]


def missing_stopwords(types: Counter, variant: str, stemmer: str, n: int) -> tuple[list[str], float, int]:
    """The words of NLTK's 179-word list that text keeping them would hold MISSING_EXPECTED times or more, found
    at under 1/STRAY_FACTOR of that; the log-likelihood ratio of their counts, removed against kept; and how many
    words the text would hold that often."""
    kept_rates, removed_rates = probe_rates(variant, stemmer, "none"), probe_rates(variant, stemmer, "nltk-179")
    missing, ratio, frequent = [], 0.0, 0
    for s, word in removed_stems(stemmer, "nltk-179").items():
        expected = kept_rates.get(s, 0.0) * n
        frequent += expected >= MISSING_EXPECTED
        if expected >= MISSING_EXPECTED and types.get(s, 0) * STRAY_FACTOR < expected:
            missing.append(word)
            terms = _probe_log_likelihoods(Counter({s: types.get(s, 0)}),
                                           {"kept": {s: kept_rates[s]}, "removed": {s: removed_rates.get(s, 0.0)}},
                                           n, frozenset())
            ratio += terms["removed"] - terms["kept"]
    return missing, ratio, frequent


def stopwords_left(types: Counter, variant: str, stemmer: str, n: int) -> list[str]:
    """The words of NLTK's 179-word list whose stems are left at STRAY_FACTOR times the rate other words make them
    (+ STRAY_MIN), the most over first; where other words make the stem too, their rate varies with the topic
    ("own" of "owned" in business news), so twice that and STRAY_ALONE_MIN more."""
    rates, stem = probe_rates(variant, stemmer, "nltk-179"), list_stemmer(stemmer)
    other = FITTED.listed_stems_of_other_words.get(variant, {}).get(stemmer, {})
    left = {}
    for word in [*frequent_listed_words(), *sorted(STOPWORD_LISTS["nltk-179"])]:
        s = stem(word)
        if word not in STOPWORD_LISTS["nltk-179"] or s in left.values():
            continue
        found, expected = types.get(s, 0), rates.get(s, 0.0) * n
        factor, margin = (2 * STRAY_FACTOR, STRAY_ALONE_MIN) if other.get(s) else (STRAY_FACTOR, 0)
        if found >= STRAY_MIN and found > factor * expected + STRAY_MIN + margin:
            left[word] = s
    return sorted(left, key=lambda w: -(types[left[w]] - rates.get(left[w], 0.0) * n))


def detect_tokens(tokens: list[str], expected: ForwardPipeline | None = None) -> Detection:
    """The likeliest pipeline; `expected` (the model's, when restoring) starts PRIOR_ODDS times likelier
    than each other pair, so that a short text without tells is not taken for another pipeline's."""
    n = len(tokens)
    punctuation, numbers, short_words, filter_counts = read_filters(tokens)
    variant = variant_of(punctuation, short_words)
    types = Counter(t.lower() for t in tokens)
    if sum(bool(ATTACHED_COMMA.search(t)) for t in tokens) > 0.005 * n:
        types = Counter((AROUND_WORD.sub("", t) or t).lower() for t in tokens)
    counts_by_stemmer = {stemmer: tell_counts(types, stemmer) for stemmer in DETECT_STEMMERS}
    lowered = [t.lower() for t in tokens]
    present = {stemmer: {stem for stem in contraction_stems(stemmer) if stem in types} for stemmer in DETECT_STEMMERS}
    joined = {stemmer: len(next_to_apostrophe(lowered, stemmer)) if APOSTROPHE in types else 0
              for stemmer in DETECT_STEMMERS}
    for stemmer, k in joined.items():
        if k:
            present[stemmer].add(NEXT_TO_APOSTROPHE)
    prior = (expected.stemmer, expected.stopwords) if expected is not None else None
    # tokens a stemmer never writes ("'re" under Snowball): each as unlikely as a tell never seen
    unwritten = {stemmer: sum(types[c] for c in rewritten_clitics(stemmer)) for stemmer in DETECT_STEMMERS}

    def score(variant: str, stemmer: str, stopwords: str) -> float:
        return (_log_likelihood(counts_by_stemmer[stemmer], pair_rates(variant, stemmer, stopwords), max(n, 1))
                + unwritten[stemmer] * math.log(MIN_RATE)
                + _contraction_log_likelihood(present[stemmer], pair_contraction_rates(variant, stemmer, stopwords),
                                              n, kept=keeps_contractions(stopwords))
                + (math.log(PRIOR_ODDS) if (stemmer, stopwords) == prior else 0.0)
                + (0.0 if stopwords in STOPWORD_LISTS else math.log(NEW_PAIR_ODDS)))

    def pair_scores(variant: str) -> dict[tuple[str, str], float]:
        """Every pair: the tells, and the listed words' stems. Those are other stems under each stemmer (not the
        same counts), so they weigh the lists against each other, each stemmer's best list at 0."""
        scores = {}
        for stemmer in DETECT_STEMMERS:
            probes = _probe_log_likelihoods(types, {w: probe_rates(variant, stemmer, w) for w in LIST_NAMES},
                                            max(n, 1), colliding_stems(variant, stemmer))
            top = max(probes.values())
            scores |= {(stemmer, w): score(variant, stemmer, w) + probes[w] - top for w in LIST_NAMES}
        return scores

    scores = pair_scores(variant)
    stemmer, stopwords = max(scores, key=scores.get)
    unmade = unmade_short_tokens(types, stemmer) if short_words != KEPT else 0
    if unmade >= max(MIN_UNMADE_SHORT_TOKENS, MIN_UNMADE_SHORT_SHARE * n):  # that stemmer made them of no longer word
        filter_counts[UNMADE_SHORT] = unmade
        if short_words == DROPPED:  # read with the rates of text that kept them (unknown is read so already)
            scores = pair_scores(variant_of(punctuation, KEPT))
            stemmer, stopwords = max(scores, key=scores.get)
        short_words, variant = KEPT, variant_of(punctuation, KEPT)
    shares = _shares(scores)
    stemmer_confidence = sum(p for (s, _), p in shares.items() if s == stemmer)
    list_shares = {w: shares[(stemmer, w)] / stemmer_confidence for w in LIST_NAMES}
    counts = counts_by_stemmer[stemmer]
    kept, nearest = [], ""
    stray_k, stray_e, strays = stray_stopwords(types, variant, stemmer, stopwords, n)
    expected_127 = pair_rates(variant, stemmer, stopwords)[STOPWORDS_127_TELL] * n
    found_127 = counts[STOPWORDS_127_TELL]
    off_127 = n and not expected_127 / OTHER_LIST_FACTOR - 3 <= found_127 <= expected_127 * OTHER_LIST_FACTOR + 3
    missing, missing_ratio, frequent = (missing_stopwords(types, variant, stemmer, n) if stopwords == "none"
                                        else ([], 0.0, 0))
    missing_removed = (len(missing) >= max(MIN_MISSING, MIN_MISSING_SHARE * frequent) and missing_ratio > 0)
    if missing_removed:
        kept, nearest, stopwords = stopwords_left(types, variant, stemmer, n), "nltk-179", "unknown"
        stray_k = sum(types[stem] for stem in {list_stemmer(stemmer)(w) for w in kept})
    elif off_127 or (strays and stray_k > STRAY_FACTOR * stray_e + STRAY_MIN):
        kept, nearest, stopwords = strays, stopwords, "unknown"
    # of another list than these, only that stopwords were removed (or not) is weighed
    removes = nearest != "none" if nearest else stopwords != "none"
    same_list = (lambda w: w == stopwords) if not nearest else (lambda w: (w != "none") == removes)
    stopwords_confidence = (sum(p for w, p in list_shares.items() if same_list(w)) if not missing_removed
                            else 1.0 / (1.0 + math.exp(-min(missing_ratio, 700.0))))
    capitalized = sum(any(ch.isupper() for ch in t) for t in tokens)
    treebank = sum(t in TREEBANK_QUOTES for t in tokens)
    other = sum(k for t, k in types.items() if OTHER_TOKENS.search(t))
    evidence = {name: k for name, k in counts.items() if k}
    evidence |= {NEXT_TO_APOSTROPHE: joined[stemmer]} if joined[stemmer] else {}
    evidence |= {name: k for name, k in (("capitalized tokens", capitalized), ("Treebank quotes (`` '')", treebank),
                                         ('plain quotes or whole contractions (" don\'t)', other)) if k}
    evidence |= {name: k for name, k in filter_counts.items() if k}
    evidence |= {"stems of stopwords the list would remove": stray_k} if kept else {}
    return Detection(stemmer, stopwords, lowercased=capitalized <= MAX_CAPITALIZED_SHARE * n,
                     tokens="other" if other > treebank else "nltk-treebank" if treebank else "unknown",
                     confidence=min(stemmer_confidence, stopwords_confidence), evidence=evidence, tokens_read=n,
                     stemmer_confidence=stemmer_confidence, stopwords_confidence=stopwords_confidence, shares=shares,
                     punctuation=punctuation, numbers=numbers, short_words=short_words, stopwords_kept=kept,
                     nearest_stopwords=nearest)


def _shares(scores: dict) -> dict:
    """Log-likelihoods -> posterior shares."""
    top = max(scores.values())
    posterior = {key: math.exp(score - top) for key, score in scores.items()}
    total = sum(posterior.values())
    return {key: p / total for key, p in posterior.items()}


def detect_documents(documents: Iterable[str], limit: int = SNIFF_TOKENS,
                     expected: ForwardPipeline | None = None) -> Detection:
    """The pipeline that made these stemmed documents, from their first `limit` tokens."""
    tokens: list[str] = []
    for document in documents:
        tokens += document.split(None, limit)[: limit - len(tokens)]
        if len(tokens) >= limit:
            break
    return detect_tokens(tokens, expected)
