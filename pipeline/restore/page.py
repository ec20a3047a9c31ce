"""`destem restore --html PAGE.html`: the restored documents as one self-contained page (no
network, no scripts or fonts from elsewhere), each word and function word shaded by how unsure
the restorer was of it; hovering or clicking one shows its stem and the alternatives weighed,
with their probabilities. Headings and paragraphs are on their own lines.
"""
from __future__ import annotations

import html

from ..text.detok import detokenize_with_spans
from .explain import DocumentExplanation

SURE = 0.9  # at or above this probability a choice is not shaded
SHOWN_ALTERNATIVES = 4

PAGE_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.6 Georgia, serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }}
header {{ font: 13px/1.5 sans-serif; color: #555; border-bottom: 1px solid #ddd; margin-bottom: 1.5em; }}
article {{ border-bottom: 1px solid #eee; padding-bottom: 1em; margin-bottom: 1.5em; }}
p {{ margin: 0 0 .8em; }} h2, h3, h4 {{ margin: 1em 0 .4em; }}
.c {{ cursor: help; border-radius: 2px; background: rgba(230, 120, 0, var(--u)); }}
.g {{ text-decoration: underline dotted rgba(0, 0, 0, .35); }}
.e {{ cursor: help; border-left: 3px solid rgba(230, 120, 0, var(--u)); margin-left: -1px; }}
#detail {{ position: fixed; right: 1em; bottom: 1em; max-width: 24em; font: 13px/1.5 monospace; white-space: pre-wrap;
          background: #fffbe8; border: 1px solid #d9c77a; padding: .6em .8em; display: none; }}
.key span {{ padding: 0 .4em; }}
</style></head><body>
<header><p>{title}. Shading: how unsure destem was of each word (<span class="key"><span class="c" style="--u:.15">a
little</span> <span class="c" style="--u:.45">fairly</span> <span class="c" style="--u:.75">very</span></span>);
dotted underline: a function word destem put back; a bar: a place where it put none but was unsure.
Hover or click a word for its stem and the alternatives. Stemming this text gives back the input
(round trip {roundtrip}).</p></header>
<div id="detail"></div>
"""
PAGE_TAIL = """<script>
const detail = document.getElementById("detail");
document.addEventListener("click", (event) => {
  const target = event.target.closest("[title]");
  detail.style.display = target ? "block" : "none";
  if (target) detail.textContent = target.title;
});
</script>
</body></html>
"""


def page_head(title: str, roundtrip: str = "checked per document") -> str:
    return PAGE_HEAD.format(title=html.escape(title), roundtrip=html.escape(roundtrip))


def document_html(explanation: DocumentExplanation, name: str) -> str:
    """One document as an <article>: its text as `--markdown` writes it, every gap and word in a
    span whose shade is 1 - its probability and whose title holds its stem and alternatives."""
    text, spans = detokenize_with_spans(explanation.tokens, paragraph="\n")
    events = []  # (offset, order, markup): at one offset, closings, then empty-gap bars, then openings
    for span, owner in zip(spans, explanation.owners):
        if span is None or owner is None:
            continue
        kind, k = owner
        p, note = _choice_note(explanation, kind, k)
        classes = "c g" if kind == "gap" else "c"
        events.append((span[0], 2, f'<span class="{classes}" style="--u:{_shade(p)}" title="{note}">'))
        events.append((span[1], 0, "</span>"))
    shown_gaps = {o[1] for o in explanation.owners if o and o[0] == "gap"}
    for span, owner in zip(spans, explanation.owners):
        if span is not None and owner is not None and owner[0] == "word" and owner[1] not in shown_gaps:
            p, note = _choice_note(explanation, "gap", owner[1])
            if p < SURE:  # no function word written here, but others were likely
                events.append((span[0], 1, f'<span class="e" style="--u:{_shade(p)}" title="{note}"></span>'))
    events.sort(key=lambda e: (e[0], e[1]))
    pieces, at = [], 0
    for offset, _, markup in events:
        pieces.append(html.escape(text[at:offset], quote=False))
        pieces.append(markup)
        at = offset
    pieces.append(html.escape(text[at:], quote=False))
    lines = "".join(pieces).split("\n")  # spans never hold a line break; titles write theirs as &#10;
    blocks = "\n".join(_block(line) for line in lines if line)
    return f'<article data-name="{html.escape(name)}">\n{blocks}\n</article>\n'


def _block(line: str) -> str:
    """A heading for a line of # marks (the marks kept: they are stems of the text), else a paragraph."""
    marks = len(line) - len(line.lstrip("#"))
    if 0 < marks <= 3 and line[marks:marks + 1] == " ":
        return f"<h{marks + 1}>{line}</h{marks + 1}>"
    return f"<p>{line}</p>"


def _shade(p: float) -> str:
    return "0" if p >= SURE else f"{min(0.85, 1.0 - p):.2f}"


def _choice_note(explanation: DocumentExplanation, kind: str, k: int) -> tuple[float, str]:
    """The probability of a choice, and the tooltip that explains it (escaped for an attribute)."""
    if k == len(explanation.stems):  # the tail: function words after the last stem
        p, lines = explanation.p_tail_gap, [f"after the last stem: {_gap(explanation.tail_gap)} "
                                           f"p={explanation.p_tail_gap:.2f}",
                                           "  or " + _alternatives(explanation.tail_alternatives, _gap)]
        return p, _attribute("\n".join(lines))
    s = explanation.stems[k]
    lines = [f"stem: {s.stem}",
             f"function words before it: {_gap(s.gap)} p={s.p_gap:.2f}",
             "  or " + _alternatives(s.gap_alternatives, _gap),
             f"word: {s.word} p={s.p_word:.2f}",
             "  or " + _alternatives(s.word_alternatives, str)]
    return (s.p_gap if kind == "gap" else s.p_word), _attribute("\n".join(lines))


def _gap(gap: str) -> str:
    return gap.replace("¶", "(new paragraph)") if gap else "(none)"


def _alternatives(options: list[tuple[str, float]], show) -> str:
    return ", ".join(f"{show(option)} {p:.2f}" for option, p in options[:SHOWN_ALTERNATIVES]) or "(none)"


def _attribute(text: str) -> str:
    return html.escape(text).replace("\n", "&#10;")
