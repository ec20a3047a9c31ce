"""The forward pipeline (prose -> stems) must reproduce NLTK 3.9.1/3.9.2's output byte for byte."""
from __future__ import annotations

from pathlib import Path

import pytest

from destem.text.forward import (
    STOPWORDS,
    TREEBANK_SPLIT_WORDS,
    is_one_token,
    is_stopword,
    sentence_spans,
    stem_text,
    stems_of_tokens,
    tokenize,
    tokenize_sentence,
    tokenize_with_spans,
)

# The golden examples of issue 2 (the format of ../shared/examples/trotsky.stem.txt).
GOLDEN = [
    (
        "Leon Trotsky (November 7, 1879 [O.S. October 26] – August 21, 1940) was born in St. Petersburg.",
        "leon trotski ( novemb 7 , 1879 [ o. . octob 26 ] – august 21 , 1940 ) born st. petersburg .",
    ),
    (
        'He didn\'t take an "active part" in politics, i.e. armed robbery.',
        "n't take `` activ part '' polit , i.e . arm robberi .",
    ),
    ("Trotsky died the next day; the news spread.", "trotski die next day ; news spread ."),
    ("## Early life", "# # earli life"),
]


@pytest.mark.parametrize("text, expected", GOLDEN, ids=["trotsky", "didnt-quotes-ie", "semicolon", "heading"])
def test_golden_examples(text, expected):
    assert stem_text(text) == expected


EDGE_CASES = [
    # empty and blank input
    ("", ""),
    ("   ", ""),
    ("\t \t", ""),
    # only stopwords, in any case
    ("the and of it was", ""),
    ("THE The the", ""),
    ("He cannot", ""),  # Treebank splits `cannot` into `can not`, both stopwords
    # only punctuation
    ("...", "..."),
    ("!?!", "! ? !"),
    (", ; :", ", ; :"),
    ("( ) [ ]", "( ) [ ]"),
    # Cyrillic and other non-ASCII: lowercased, not stemmed by English rules
    ("Лев Давидович Троцкий родился в 1879 году.", "лев давидович троцкий родился в 1879 году ."),
    ("café naïve", "café naïv"),
    ("emoji 😀 here", "emoji 😀"),
    # numbers
    ("It costs 11.5 dollars.", "cost 11.5 dollar ."),
    ("3.14159", "3.14159"),
    ("$5.00 and 10%", "$ 5.00 10 %"),
    ("It cost $5.", "cost $ 5 ."),
    # abbreviations: Punkt keeps known ones inside the sentence, the final period splits off
    ("Dr. Smith arrived.", "dr. smith arriv ."),
    ("Dr. Smith went to the U.S. in 1990.", "dr. smith went u.s. 1990 ."),
    ("The U.S. Army is big.", "u.s. armi big ."),
    ("He moved to the U.S. He liked it.", "move u. . like ."),
    ("Mr. Smith left. Mrs. Jones stayed.", "mr. smith left . mrs. jone stay ."),
    ("It was 5 p.m. when he came.", "5 p.m. came ."),
    ("e.g. cats", "e.g . cat"),
    ("Jan. 5, 1990 was cold.", "jan. 5 , 1990 cold ."),
    # sentence splitting decides where the final period splits off
    ("He left. She stayed.", "left . stay ."),
    ("Wait!  Really?  Yes.", "wait ! realli ? ye ."),
    ("In 1990 he died. In 1991 she died.", "1990 die . 1991 die ."),
    # double quotes become `` and ''
    ('"x"', "`` x ''"),
    ('He said "x".', "said `` x '' ."),
    ('He said: "Go!" Then he left.', "said : `` go ! '' left ."),
    # n't and 's: the contraction's stem part is kept unless it is a stopword
    ("They don't know.", "n't know ."),
    ("I can't go.", "ca n't go ."),
    ("I won't.", "wo n't ."),
    ("John's car.", "john 's car ."),
    ("It's Lev's.", "'s lev 's ."),
    ("I'm sure you're right, they'll see.", "'m sure 're right , 'll see ."),
    ("The cats' toys.", "cat ' toy ."),
    # single quotes: NLTK 3.9.1/3.9.2 leaves an opening single quote on the word (3.10 splits it)
    ("'Lvov'", "'lvov '"),
    ("The 'Lvov' Theses", "'lvov ' these"),
    # an en dash inside a word stays one token (3.9.3+ splits it)
    ("1847–1922", "1847–1922"),
    ("Born 1847–1922 in Kiev.", "born 1847–1922 kiev ."),
    ("x -- y", "x --"),
    # other quotes and brackets are tokens of their own
    ("«quoted»", "« quot »"),
    ("“curly” ‘single’", "“ curli ” ‘ singl ’"),
    ("Smith (born 1950) is tall.", "smith ( born 1950 ) tall ."),
    # whitespace of any kind collapses to single spaces; line breaks do not survive
    ("Hello\tworld.", "hello world ."),
    ("The\u00a0cat sat.", "cat sat ."),
    ("  Leading and trailing spaces.  ", "lead trail space ."),
    ("The end.\n## Heading\nNew para.", "end . # # head new para ."),
    # Porter stemmer (NLTK_EXTENSIONS mode)
    ("Running runs ran", "run run ran"),
]


@pytest.mark.parametrize("text, expected", EDGE_CASES, ids=[repr(t)[:40] for t, _ in EDGE_CASES])
def test_edge_cases(text, expected):
    assert stem_text(text) == expected


def test_very_long_line_without_sentence_end_still_stems():
    words = ["running", "the", "cats", "of", "Petersburg"]
    text = " ".join(words[i % len(words)] for i in range(5000))  # 5,000 words, no period anywhere
    stems = stem_text(text).split(" ")
    assert len(stems) == 3000  # "the" and "of" dropped
    assert stems[:3] == ["run", "cat", "petersburg"]
    assert set(stems) == {"run", "cat", "petersburg"}
    assert len(sentence_spans(text)) == 1


def test_output_is_single_spaced_without_line_breaks():
    out = stem_text("First paragraph here.\n\n\nSecond   one\r\nthird.\u2028Fourth.")
    assert out == "first paragraph . second one third . fourth ."
    assert "  " not in out and "\n" not in out and out == out.strip()


def test_stopword_list_is_nltks_179_words():
    assert len(STOPWORDS) == 179
    for word in ["i", "the", "didn't", "didn", "won't", "should've", "that'll", "s", "t", "ma", "ain"]:
        assert word in STOPWORDS
    # tokens the Treebank tokenizer makes from contractions are not stopwords themselves
    for word in ["n't", "'s", "'ll", "'re", "ca", "wo", "``", "''", "he'd", "she'll", "mightn't've"]:
        assert word not in STOPWORDS
    assert is_stopword("The") and is_stopword("DIDN'T") and not is_stopword("n't")


def test_stems_of_tokens_drops_stopwords_by_lowercase():
    assert stems_of_tokens(["He", "WAS", "Running", "n't", "'s"]) == ["run", "n't", "'s"]


SPAN_CASES = [
    GOLDEN[0][0],
    GOLDEN[1][0],
    'He said "x". "Y" she said.\nNext ""line"" here.',
    "It's Lev's 'Lvov' in 1847–1922; Dr. Smith didn't go to the U.S. Then he did.",
    "«quoted» “curly” ‘single’ (born 1950) $5.00 and 10%...",
    "  Leading spaces.\n\nTwo breaks, cannot gonna.",
]


@pytest.mark.parametrize("text", SPAN_CASES, ids=[repr(t)[:30] for t in SPAN_CASES])
def test_tokenize_with_spans_points_at_the_tokens(text):
    tokens = tokenize_with_spans(text)
    assert [t.text for t in tokens] == tokenize(text)
    previous_end = 0
    for token in tokens:
        original = text[token.start:token.end]
        if token.text in ("``", "''") and original == '"':
            pass  # a double quote the tokenizer turned into `` or ''
        else:
            assert original == token.text
        assert token.start >= previous_end  # in order, never overlapping
        previous_end = token.end


def test_tokenize_with_spans_of_a_quote_and_contraction():
    text = 'He didn\'t say "no".'
    assert [(t.text, t.start, t.end) for t in tokenize_with_spans(text)] == [
        ("He", 0, 2), ("did", 3, 6), ("n't", 6, 9), ("say", 10, 13), ("``", 14, 15), ("no", 15, 17),
        ("''", 17, 18), (".", 18, 19),
    ]


def test_tokenize_with_spans_of_empty_text():
    assert tokenize_with_spans("") == [] and tokenize("") == []


def test_the_forward_pipeline_runs_nltk_without_importing_its_package():
    """NLTK's package import costs 0.5-1.2 s of start-up (more with scipy.stats, which it pulls in where
    SciPy is installed); the forward pipeline loads only the modules it runs, and leaves `import nltk`
    to work as ever afterwards."""
    import subprocess
    import sys

    code = ("import sys, destem.text.forward as f; print(f.stem_text('Trotsky died.')); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nltk', 'scipy'))); "
            "print(f.stemmer_function('lancaster')('quickly'), 'scipy.stats' in sys.modules); "
            "import nltk; print(nltk.stem.porter.PorterStemmer().stem('quickly'), "
            "nltk.tokenize.destructive.NLTKWordTokenizer().tokenize('He said \"no\".'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:4] == ["trotski die .", "[]", "quick False", "quickli ['He', 'said', '``', 'no', \"''\", '.']"]


@pytest.mark.parametrize("word", [*sorted(TREEBANK_SPLIT_WORDS), "Cannot", "GONNA", "cannon", "gotten", "don't",
                                  "o'clock", "x-ray", "naïve", "u.s.", "dept.", "1990", "tis", "twas", "dye", "moren"])
def test_is_one_token_answers_as_the_treebank_tokenizer_does(word):
    assert is_one_token(word) == (tokenize_sentence(word + " x") == [word, "x"])


def test_is_one_token_answers_as_the_treebank_tokenizer_does_for_every_word_of_real_prose():
    text = (Path(__file__).parent / "data" / "mini_corpus.txt").read_text(encoding="utf-8")
    words = {w for w in text.split()} | {w.lower().strip(".,;:()\"'") for w in text.split()}
    differ = [w for w in sorted(words) if is_one_token(w) != (tokenize_sentence(w + " x") == [w, "x"])]
    assert len(words) > 1000 and differ == []
