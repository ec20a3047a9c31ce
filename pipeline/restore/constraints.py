"""Stem constraints: which words may stand for a stem, so that stemming the output gives back
the input. A form is allowed for a stem when it is no stopword, the input's stemmer (NLTK's Porter,
or another that restoring supports) maps it to exactly that stem, the word tokenizer keeps it
one token, and the input's pipeline keeps it (only letters, for the isalpha and letters-only ones).
"""
from __future__ import annotations

from functools import lru_cache

from ..text.forward import (
    DEFAULT_PIPELINE,
    STOPWORDS,
    ForwardPipeline,
    letter_words,
    stem_token,
    stemmer_function,
    tokenize_sentence,
)


def is_allowed_form(stem: str, form: str, pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> bool:
    return _is_allowed_form(stem, form, pipeline.stemmer, pipeline.keep)


@lru_cache(maxsize=500_000)
def _is_allowed_form(stem: str, form: str, stemmer: str, keep: str) -> bool:
    if not form or form.lower() in STOPWORDS or any(ch.isspace() for ch in form):
        return False
    if (keep == "isalpha" and not form.isalpha()) or (keep == "letters-3" and letter_words(form) != [form.lower()]):
        return False
    stem_of = stem_token if stemmer == DEFAULT_PIPELINE.stemmer else stemmer_function(stemmer)
    if stem_of(form) != stem:
        return False
    return keep == "letters-3" or tokenize_sentence(form + " x") == [form, "x"]


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
