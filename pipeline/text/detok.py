"""Deterministic detokenizer: forward-pipeline word tokens -> normal text.

The model works on word tokens (one Treebank token per word, casing kept); this turns them back
into prose: quotes (`` '' -> "), clitics ('s n't), brackets, punctuation, heading marks
(# # -> ##) and paragraph marks. Dashes keep their spaces: the tokenizer (NLTK 3.9.2) only
separates a dash that had spaces around it.
"""
from __future__ import annotations

from .align import PARAGRAPH

NO_SPACE_BEFORE = frozenset(", . ; : ! ? % ) ] } '' n't 's 'S 're 've 'll 'm 'd "
                            "N'T 'RE 'VE 'LL 'M 'D ’ ” » ...".split())
NO_SPACE_AFTER = frozenset("( [ { `` $ “ « ‘".split())
APOSTROPHE_SUFFIXES = frozenset({"s", "t", "re", "ve", "ll", "d", "m"})
CLINGING_MARKS = ".,;:!?"  # a token that starts with two of these (".:594", ",;") was glued to the word before
# Spacing marks a repair may put before a token: no token holds a space, so neither is ever a word
GLUE = " glue"  # the next token touches the one before
SPACE = " space"  # the next token has a space before it, whatever the rules say
PILCROW_WORD = " ¶"  # a word "¶" of the text, told apart from PARAGRAPH (a line break) in one token list


def detokenize(tokens: list[str], paragraph: str = " ") -> str:
    """Join tokens into text; `paragraph` replaces each PARAGRAPH mark ("\\n" for markdown)."""
    return detokenize_with_spans(tokens, paragraph)[0]


def detokenize_with_spans(tokens: list[str], paragraph: str = " ") -> tuple[str, list[tuple[int, int] | None]]:
    """`detokenize`'s text, and where each token is in it: (start, end), or None for marks."""
    pieces: list[str] = []
    spans: list[tuple[int, int] | None] = [None] * len(tokens)
    length = 0  # of the pieces so far
    glue_next = True  # no space before the next token
    forced = None  # GLUE or SPACE: a repair's choice for the next token
    for i, token in enumerate(tokens):
        if token in (GLUE, SPACE):
            forced = token
            continue
        if token == PARAGRAPH:
            if pieces:
                # the tokenizer reads a quote right after a line break as closing ('');
                # on one line, a tab keeps that reading (a space would make it ``)
                closing_quote_next = i + 1 < len(tokens) and tokens[i + 1] == "''"
                pieces.append("\t" if closing_quote_next and paragraph == " " else paragraph)
                length += len(pieces[-1])
            glue_next = True
            continue
        surface = '"' if token in ("``", "''") else "¶" if token == PILCROW_WORD else token
        previous = _token_at(tokens, i - 2 if forced else i - 1)  # a mark stands alone, right before its token
        glue = (glue_next or token in NO_SPACE_BEFORE or (token == "#" and previous == "#")
                or (len(token) > 1 and token[0] in CLINGING_MARKS and token[1] in CLINGING_MARKS))
        nxt = _token_at(tokens, i + 2 if _token_at(tokens, i + 1) in (GLUE, SPACE) else i + 1)
        glue_after = token in NO_SPACE_AFTER
        if token == "'":
            # the tokenizer keeps an opening ' on its word ('Lvov), so a lone ' closes a quote
            # or marks a plural possessive (the Years' War); at a phrase start it opens one
            if previous in NO_SPACE_AFTER or previous == "" or previous == PARAGRAPH:
                glue_after = True
            else:
                glue = True
        elif token == "’":
            glue, glue_after = True, nxt.lower() in APOSTROPHE_SUFFIXES
        elif token == "''" and previous == PARAGRAPH:
            glue_after = True  # an opening quote, which the tokenizer read as closing
        elif token.lower() == "not" and previous.lower() == "can":
            glue = True  # the tokenizer splits "cannot"; "can not" is rare in prose
        if forced is not None:
            glue, forced = forced == GLUE, None
        if pieces and not glue and pieces[-1] not in (paragraph, "\t"):
            pieces.append(" ")
            length += 1
        pieces.append(surface)
        spans[i] = (length, length + len(surface))
        length += len(surface)
        glue_next = glue_after
    return "".join(pieces).rstrip(" "), spans  # no piece starts with a space: only a last paragraph mark ends with one


def _token_at(tokens: list[str], i: int) -> str:
    return tokens[i] if 0 <= i < len(tokens) else ""


def detokenizer_agreement(paragraphs) -> tuple[int, int]:
    """(sentences with detokenize(tokenize(s)) == s, sentences) over paragraphs of prose."""
    from .forward import sentence_spans, tokenize_sentence

    same = total = 0
    for paragraph in paragraphs:
        for start, end in sentence_spans(paragraph):
            sentence = paragraph[start:end]
            same += detokenize(tokenize_sentence(sentence)) == sentence
            total += 1
    return same, total
