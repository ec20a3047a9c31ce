"""Stem constraints: which words may stand for a stem, so that stemming the output gives back
the input. A form is allowed for a stem when it is no stopword, the input's stemmer (NLTK's Porter,
or another that restoring supports) maps it to exactly that stem, the word tokenizer keeps it
one token, and the input's pipeline keeps it (only letters, for the isalpha and letters-only ones).
A stopword is allowed only where the input's stopword list keeps it (`kept_stopwords`): it is then
restored as itself (`kept_stopword_forms`).
"""
from __future__ import annotations

from functools import lru_cache

from ..text.forward import (
    DEFAULT_PIPELINE,
    STOPWORDS,
    ForwardPipeline,
    is_one_token,
    letter_words,
    stem_token,
    stemmer_function,
)


def is_allowed_form(stem: str, form: str, pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> bool:
    return _is_allowed_form(stem, form, pipeline.stemmer, pipeline.keep, pipeline.kept_stopwords)


@lru_cache(maxsize=500_000)
def _is_allowed_form(stem: str, form: str, stemmer: str, keep: str, kept_stopwords: frozenset[str]) -> bool:
    if not form or (form.lower() in STOPWORDS and form.lower() not in kept_stopwords) or any(
            ch.isspace() for ch in form):
        return False
    if (keep == "isalpha" and not form.isalpha()) or (keep == "letters-3" and letter_words(form) != [form.lower()]):
        return False
    stem_of = stem_token if stemmer == DEFAULT_PIPELINE.stemmer else stemmer_function(stemmer)
    if stem_of(form) != stem:
        return False
    return keep == "letters-3" or is_one_token(form)


def choose_form(stem: str, ranked_forms, known_forms, pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> tuple[str, bool]:
    """The word for `stem`: among the model's ranked forms that are allowed, the first one the
    lexicon knows (`known_forms`, seen in training prose); else the lexicon's first allowed
    form; else the model's first allowed form (a word neither has seen).

    Known words before invented ones: "long-dead", not "long-deaded", and a fine-tuned model's
    new domain words ("marsupials") even where the model ranks only made-up forms.
    Returns (form, from_model). When nothing is allowed, the stem itself comes back as a last
    resort (the round-trip check then catches it).
    """
    known = set(known_forms)
    # checked lazily, in the order they can win: the check runs the stemmer and the tokenizer
    for form in ranked_forms:
        if form in known and is_allowed_form(stem, form, pipeline):
            return form, True
    for form in known_forms:
        if is_allowed_form(stem, form, pipeline):
            return form, False
    for form in ranked_forms:
        if is_allowed_form(stem, form, pipeline):
            return form, True
    return stem, False


@lru_cache(maxsize=64)
def kept_stopword_forms(pipeline: ForwardPipeline) -> dict[str, str]:
    """stem -> the stopword that an input whose list keeps it means by it ("wa" -> "was", "and" -> "and"):
    the model never learned these as words, so they are restored as themselves, never re-inflected
    ("Andes"). Of stopwords that share a stem, the one that is the stem itself, else the shortest."""
    stem_of = stem_token if pipeline.stemmer == DEFAULT_PIPELINE.stemmer else stemmer_function(pipeline.stemmer)
    forms: dict[str, str] = {}
    for word in sorted(pipeline.kept_stopwords, key=lambda w: (w != stem_of(w), len(w), w)):
        forms.setdefault(stem_of(word), word)
    return forms
