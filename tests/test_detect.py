"""`destem detect`: inputs made by each real NLTK stemmer and stopword list, from prose written here."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from destem.cli import main
from destem.text.detect import (
    CONTRACTION_ARTICLE_TOKENS,
    CONTRACTION_DISPERSION,
    CONTRACTIONS_TELL,
    NEXT_TO_APOSTROPHE,
    contraction_shape,
    detect_documents,
)
from destem.text.forward import (
    DEFAULT_PIPELINE,
    NLTK_127_STOPWORDS,
    STEMMERS,
    STOPWORD_LISTS,
    STOPWORDS,
    ForwardPipeline,
    pipeline_named,
    pipeline_of_model,
    tokenize,
)
from destem.text.stoplists import stopword_list

PROSE = [
    ("The famous party won the election on a rainy day in May, and its leader quickly said that the "
     "country's new government would really govern differently. Nobody had expected that the status of the "
     "old families would change so rapidly; most of them simply stayed away from the capital for the holiday."),
    ("In the following years the technology of the railway was generally improved: engineers designed "
     "faster engines, the company's directors happily reported larger profits, and a 5 m bridge was built "
     "across the valley. The journey from the city to the coast took one day instead of three."),
    ("Historians have argued that the reforms were politically motivated. The king's ministers, who were "
     "mostly drawn from noble families, won the support of the army, but the peasants' grievances were "
     "largely ignored until a famous essay by a young lawyer described their situation in detail."),
    ("He played the violin every day, and his son's music was eventually performed in the cathedral. "
     "Critics were generally impressed by the way the choir sang; one reviewer wrote that the performance "
     "was \"truly remarkable\" and that the composer had won a lasting place in the history of the country."),
    ("Scientists working on the theory of electricity carefully measured the currents in various metals. "
     "Their results were published in the society's journal, and the methodology was later adopted by "
     "laboratories in many countries, which quickly confirmed the surprising findings of the study."),
]
PIPELINES = [ForwardPipeline(stopwords=stopwords, stemmer=stemmer)
             for stemmer in STEMMERS[:-1] for stopwords in STOPWORD_LISTS]


def made_by(pipeline: ForwardPipeline | None) -> list[str]:
    """The prose through `pipeline`, one line a paragraph (None: the prose as it is)."""
    return PROSE if pipeline is None else [pipeline.stem_text(paragraph) for paragraph in PROSE]


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda p: f"{p.stemmer}/{p.stopwords}")
def test_detect_names_the_stemmer_and_stopword_list(pipeline):
    found = detect_documents(made_by(pipeline))
    assert (found.stemmer, found.stopwords, found.lowercased) == (pipeline.stemmer, pipeline.stopwords, True)
    assert found.matches(DEFAULT_PIPELINE) == (pipeline == DEFAULT_PIPELINE)


def test_the_127_word_list_is_told_by_the_words_only_it_keeps():
    # the prose has "won" three times and "m" once, which the 153/179-word lists remove and the 127-word list keeps
    assert made_by(ForwardPipeline(stopwords="nltk-127")) != made_by(DEFAULT_PIPELINE)
    assert detect_documents(made_by(ForwardPipeline(stopwords="nltk-127"))).evidence[CONTRACTIONS_TELL] == 4


# Prose without a word of the 153/179-word lists' additions ("won", "m", "d", "o", "y", ...): the 127- and the
# 179-word lists make the same text of it
PLAIN = [
    ("The river valley in the north was slowly settled by farmers during the following centuries, and the towns "
     "along its banks grew steadily richer. Their markets traded grain, wool and timber, and the merchants' guilds "
     "carefully recorded every payment in ledgers that historians still study today."),
    ("Engineers later built a railway through the valley; the journey between the two largest towns, which "
     "had taken one whole day by road, was shortened to a few hours. The company's shares rose rapidly, and its "
     "directors were generally praised for their foresight."),
    ("The famous university was founded by a wealthy family whose members had studied theology and "
     "philosophy abroad. Its library holds thousands of manuscripts, including a beautifully illustrated "
     "chronicle that describes the region's early history in remarkable detail."),
    ("During the war the town was occupied twice, and many of its buildings were badly damaged. After the "
     "peace treaty the inhabitants slowly rebuilt the cathedral, the town hall and the bridges, largely "
     "following the original designs that architects had preserved."),
]


# and a few words that stemmers make stopwords of (Porter's "ones" -> "on", "others" -> "other"; Lancaster's "north"
# -> "nor", "one" -> "on"), as long texts have them
OWNERS = "Some families owned large estates; others owned only small ones, and the poorer ones were often in debt."


def long_input(pipeline: ForwardPipeline, paragraph: str, stems: int = 10_000) -> list[str]:
    """About `stems` stems through `pipeline`: `paragraph` once among the PLAIN paragraphs over and over."""
    lines = [pipeline.stem_text(p) for p in [paragraph, *PLAIN]]
    repeats = stems // sum(len(line.split()) for line in lines[1:]) + 1
    return lines[:1] + lines[1:] * repeats + [pipeline.stem_text(OWNERS)] * (6 * stems // 10_000)


@pytest.mark.parametrize("stemmer", [s for s in STEMMERS if s != "porter-original"])
def test_one_contraction_stem_no_other_word_makes_tells_the_127_word_list_in_a_long_text(stemmer):
    # ~10,000 stems in which the 127-word list keeps a single "m" (of "5 m"), which the 179-word list removes and
    # which this stemmer makes of no other word: it settles the list, few as such words are in a long text
    metres = "A bridge of 5 m was built across the river."
    kept, removed = (long_input(ForwardPipeline(stemmer=stemmer, stopwords=w), metres)
                     for w in ("nltk-127", "nltk-179"))
    assert sum(line.split().count("m") for line in kept) == 1 and len(" ".join(kept).split()) > 10_000
    found = detect_documents(kept)
    assert (found.stemmer, found.stopwords) == (stemmer, "nltk-127") and found.confidence > 0.9
    assert not found.matches(DEFAULT_PIPELINE)
    assert (detect_documents(removed).stemmer, detect_documents(removed).stopwords) == (stemmer, "nltk-179")


def test_contraction_stems_other_words_make_are_thin_evidence():
    # Porter's original algorithm stems "OS" to "o" and "MS" to "m", as the 127-word list leaves "o" and "m": an
    # article about operating systems through the 179-word list is not the 127-word list's, however many "OS" it has
    original = ForwardPipeline(stemmer="porter-original")
    systems = ("The OS was ported to new machines. Each OS release added drivers, and the OS kernel was rewritten; "
               "users of the OS praised its speed, and the OS team later published the OS source.")
    lines = long_input(original, systems, stems=4_000)
    assert sum(line.split().count("o") for line in lines) == 6
    found = detect_documents(lines)
    assert (found.stemmer, found.stopwords) == ("porter-original", "nltk-179")
    # one "m" that the 127-word list kept, or that "MS" made: the answer, whichever list it names, is not sure
    metres = ForwardPipeline(stemmer="porter-original", stopwords="nltk-127")
    found = detect_documents(long_input(metres, "A bridge of 5 m was built across the river."))
    assert found.stemmer == "porter-original" and found.confidence < 0.9


@pytest.mark.parametrize("stemmer, paragraph", [("lancaster", "The bridge isn’t finished yet."),
                                                ("porter-original", "The bridge was designed by O’Brien.")])
def test_a_contraction_stem_next_to_an_apostrophe_is_the_word_itself(stemmer, paragraph):
    # a typographic apostrophe: Treebank makes "isn" "’" "t" of "isn’t", "O" "’" "Brien" of "O’Brien". Lancaster also
    # makes "isn" of "Isner", Porter's original "o" of "OS", but not next to an apostrophe: the 127-word list kept it
    kept = long_input(ForwardPipeline(stemmer=stemmer, stopwords="nltk-127"), paragraph)
    found = detect_documents(kept)
    assert (found.stemmer, found.stopwords, found.evidence[NEXT_TO_APOSTROPHE]) == (stemmer, "nltk-127", 1)
    assert found.confidence > 0.8
    removed = detect_documents(long_input(ForwardPipeline(stemmer=stemmer), paragraph))
    assert (removed.stopwords, NEXT_TO_APOSTROPHE in removed.evidence) == ("nltk-179", False)


def test_the_plain_apostrophe_is_no_such_sign():
    # Treebank splits "isn't" into "is" "n't"; a plain ' token is left of "havens'" (Porter's "haven", as of the
    # 127-word list's "haven"), and Porter's original algorithm makes "'" of "'s" ("Apple's OS": "appl ' o")
    for stemmer, paragraph in (("porter-nltk", "The first report on tax havens' financial system was published."),
                               ("porter-original", "Apple's OS was ported to new machines.")):
        lines = long_input(ForwardPipeline(stemmer=stemmer), paragraph)
        found = detect_documents(lines)
        assert (found.stemmer, found.stopwords, NEXT_TO_APOSTROPHE in found.evidence) == (stemmer, "nltk-179", False)


def test_confidence_is_that_of_the_list_too():
    # 162 Snowball stems without a contraction stem: sure of the stemmer, not of the list (a text this short often has
    # no "won", "m" for the 127-word list to keep), and the confidence says so
    found = detect_documents(made_by(ForwardPipeline(stemmer="snowball-english")))
    assert (found.stemmer, found.stopwords) == ("snowball-english", "nltk-179") and found.confidence < 0.9
    assert found.shares[("snowball-english", "nltk-179")] + found.shares[("snowball-english", "nltk-127")] > 0.99
    # yet it is sure that the model's pipeline did not: another stemmer did (restore warns on that)
    assert found.confidence_against(DEFAULT_PIPELINE) > 0.9
    # the 127-word list's text with its "won"s and "m": sure of the list
    found = detect_documents(made_by(ForwardPipeline(stopwords="nltk-127")))
    assert found.stopwords == "nltk-127" and found.confidence > 0.9


@pytest.mark.parametrize(("stemmer", "base"), [("porter-nltk", "destem"), ("snowball-english", "snowball")])
def test_the_127_word_lists_text_restores_as_the_179_word_lists_keeping_its_additions(stemmer, base):
    # the 127-word list is the 179-word one less its additions: restored so, they come back as themselves, but not
    # Snowball's "ll", "re", "ve", which are its stems of the clitics "'ll", "'re", "'ve" (both lists keep those)
    found = detect_documents(made_by(ForwardPipeline(stemmer=stemmer, stopwords="nltk-127")))
    assert (found.stemmer, found.stopwords) == (stemmer, "nltk-127") and found.confidence > 0.9
    name = found.restorable_as(DEFAULT_PIPELINE)
    assert name is not None and name.startswith(base + "+")
    kept = pipeline_named(name).kept_stopwords
    assert {"won", "m", "d", "isn"} <= kept and kept < STOPWORDS - NLTK_127_STOPWORDS
    assert ({"ll", "re", "ve"} & kept) == (set() if base == "snowball" else {"ll", "re", "ve"})
    assert any("restored as themselves" in loss for loss in found.losses(DEFAULT_PIPELINE))


def test_plain_prose_is_neither_stemmed_nor_stripped_nor_lowercased():
    found = detect_documents(made_by(None))
    assert (found.stemmer, found.stopwords, found.lowercased, found.matches(DEFAULT_PIPELINE)) == (
        "none", "none", False, False)
    assert found.tokens == "other"  # plain quotes, not Treebank's `` ''


def test_tells_are_counted_in_the_evidence():
    porter, original = (detect_documents(made_by(ForwardPipeline(stemmer=s)))
                        for s in ("porter-nltk", "porter-original"))
    assert (porter.evidence["vowel + y words (day, way, may)"] >= 5
            and "their y made i (dai, wai, mai)" not in porter.evidence)
    assert original.evidence["their y made i (dai, wai, mai)"] >= 5 and "'s tokens" not in original.evidence
    assert porter.tokens == "nltk-treebank" and 0 < porter.confidence <= 1


def test_detect_json_and_matches_model(tmp_path, capsys):
    paths = []
    for name, pipeline in (("default", DEFAULT_PIPELINE), ("snowball", ForwardPipeline(stemmer="snowball-english"))):
        paths.append(tmp_path / f"{name}.txt")
        paths[-1].write_text("\n".join(made_by(pipeline)) + "\n", encoding="utf-8")
    assert main(["detect", "--json", *map(str, paths)]) == 0
    default, snowball = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert {"stemmer", "stopwords", "lowercased", "matches_model", "confidence", "evidence"} <= set(default)
    assert (default["stemmer"], default["matches_model"]) == ("porter-nltk", True)
    assert ((snowball["stemmer"], snowball["stopwords"], snowball["matches_model"])
            == ("snowball-english", "nltk-179", False))


def test_detect_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9\n")
    assert main(["detect", str(tmp_path / "bad.txt")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_detect_does_not_import_torch(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("\n".join(made_by(DEFAULT_PIPELINE)), encoding="utf-8")
    code = ("import sys; from destem.cli import main; main(['detect', sys.argv[1]]); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True)


def test_the_model_folder_names_its_pipeline(default_model_dir, tmp_path):
    assert pipeline_of_model(str(default_model_dir)) == DEFAULT_PIPELINE
    config = json.loads((default_model_dir / "config.json").read_text())
    assert config["pipeline"]["stemmer"] == "porter-nltk" and config["pipeline"]["nltk"]
    del config["pipeline"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert pipeline_of_model(str(tmp_path)) == DEFAULT_PIPELINE  # folders from before it was named


def test_check_reads_the_pipeline_from_the_model_folder(default_model_dir, tmp_path, capsys):
    config = json.loads((default_model_dir / "config.json").read_text())
    config["pipeline"] = ForwardPipeline(stemmer="snowball-english").to_config()
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "stems.txt").write_text(ForwardPipeline(stemmer="snowball-english").stem_text(PROSE[0]) + "\n")
    (tmp_path / "prose.txt").write_text(PROSE[0] + "\n")
    files = [str(tmp_path / "stems.txt"), str(tmp_path / "prose.txt")]
    assert main(["check", *files, "--model", str(tmp_path)]) == 0
    assert main(["check", *files]) == 1  # the shipped model's Porter stems differ


def test_a_pipeline_destem_does_not_implement_is_refused_in_one_line(default_model_dir, tmp_path, capsys):
    config = json.loads((default_model_dir / "config.json").read_text())
    config["pipeline"]["stemmer"] = "krovetz"
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "in.txt").write_text("quick\n")
    assert main(["detect", str(tmp_path / "in.txt"), "--model", str(tmp_path)]) == 2
    assert "stemmer 'krovetz', which destem does not implement" in capsys.readouterr().err


def test_restore_warns_once_per_file_made_by_another_pipeline(default_model_dir, tmp_path, capsys):
    """Lancaster's stems it cannot restore well: a warning per file; Snowball's it restores as such."""
    lancaster, snowball = ForwardPipeline(stemmer="lancaster"), ForwardPipeline(stemmer="snowball-english")
    made = (("a.txt", lancaster), ("b.txt", lancaster), ("c.txt", DEFAULT_PIPELINE), ("d.txt", snowball))
    for name, pipeline in made:
        (tmp_path / name).write_text("\n".join(made_by(pipeline)) + "\n", encoding="utf-8")
    files = [str(tmp_path / name) for name, _ in made]
    assert main(["restore", "--device", "cpu", *files]) == 0
    err = capsys.readouterr().err.splitlines()
    warnings = [line for line in err if "another pipeline" in line]
    assert [line.split(": ")[2] for line in warnings] == files[:2]
    assert "found: lancaster stems, nltk-179 stopwords removed" in warnings[0]
    [restored_as] = [line for line in err if "restored and round-trip checked as such" in line]
    assert restored_as.startswith(f"destem: {files[3]}: input made with snowball-english stems")


def test_restorer_refuses_a_model_of_another_pipeline(default_model_dir, tmp_path):
    from destem.restore.restorer import Restorer

    for name in ("model.safetensors", "spiece.model", "tokenizer.json", "tokenizer_config.json", "lexicon.npz"):
        (tmp_path / name).symlink_to(default_model_dir / name)
    config = json.loads((default_model_dir / "config.json").read_text())
    config["pipeline"] = ForwardPipeline(stemmer="lancaster").to_config()
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="inverts lancaster stems, nltk-179 stopwords removed; destem restores only"):
        Restorer.from_pretrained(str(tmp_path), device="cpu")


@pytest.mark.parametrize("stemmer", [*STEMMERS, "wordnet-lemmas"])
def test_the_fixed_lists_are_stemmed_as_the_installed_nltk_stems_them(stemmer):
    """detect reads Snowball's and Lancaster's stems and WordNet's lemmas of its lists from a table (restoring
    then never imports NLTK whole, nor needs WordNet); the table must be what NLTK makes."""
    from destem.text.detect import list_stemmer
    from destem.text.forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, stemmer_function
    from destem.text.stoplists import all_listed_words

    words = sorted(NLTK_127_STOPWORDS | CONTRACTION_STEMS | all_listed_words())
    if stemmer == "wordnet-lemmas":
        from nltk.stem import WordNetLemmatizer

        stem = WordNetLemmatizer().lemmatize
        try:
            stem("dogs")
        except LookupError:
            pytest.skip("NLTK finds no WordNet (NLTK_DATA)")
    else:
        stem = stemmer_function(stemmer)
    assert [list_stemmer(stemmer)(w) for w in words] == [stem(w) for w in words], \
        "NLTK's stemmers changed: run python data/recipes/list_stems.py"


def test_a_text_of_many_articles_varies_less_than_one():
    # fitted on runs of consecutive articles: the shape grows with the text, and an article's length keeps it
    assert contraction_shape(100) == contraction_shape(CONTRACTION_ARTICLE_TOKENS) == CONTRACTION_DISPERSION
    assert CONTRACTION_DISPERSION < contraction_shape(2 * CONTRACTION_ARTICLE_TOKENS) < contraction_shape(20_000) < 1


@pytest.mark.parametrize("stemmer", ["porter-nltk", "porter-martin"])
def test_one_contraction_stem_another_word_made_does_not_outweigh_a_long_text_without_them(stemmer):
    # the held-out "Fairchild Channel F" case: "VES" stems to "ve", which the 179-word list removes as a word; in
    # ~15,000 stems (several articles' worth) without "won", "m", "d" or "y" that one stem is not the 127-word
    # list's, and the list is sure (with the one-article shape for any length it was 0.62)
    console = "The console was sold as the VES before it was renamed."
    lines = long_input(ForwardPipeline(stemmer=stemmer), console, stems=15_000)
    assert sum(line.split().count("ve") for line in lines) == 1
    found = detect_documents(lines)
    assert (found.stemmer, found.stopwords) == (stemmer, "nltk-179") and found.stopwords_confidence > 0.9


# Pipelines in the wild, run for real on the fixture corpus (eight short Wikipedia articles, ~3,000 stems through
# each): NLTK's Treebank tokenizer (`nltk.word_tokenize` is destem's `tokenize`) and Porter stemmer, gensim's
# preprocess_string, the shipped lists of scikit-learn, spaCy and SMART, and WordNet lemmas as NLTK made them
MINI = [line.rstrip("\n") for line in (Path(__file__).parent / "data" / "mini_corpus.txt").open(encoding="utf-8")
        if line.strip() and not line.startswith("#")]


def porter(word: str) -> str:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer().stem(word)


def isalpha_tutorial(paragraph: str) -> str:
    """The tutorial line: word_tokenize, keep w.isalpha(), lowercase, NLTK's stopwords, Porter."""
    words = [w.lower() for w in tokenize(paragraph) if w.isalpha()]
    return " ".join(porter(w) for w in words if w not in STOPWORDS)


def letters_only(paragraph: str) -> str:
    """The R8/R52 recipe: lowercase, letters only, words under 3 letters dropped, NLTK's stopwords, Porter."""
    words = re.findall("[a-z]+", paragraph.lower())
    return " ".join(porter(w) for w in words if len(w) >= 3 and w not in STOPWORDS)


def treebank_with(stopwords: frozenset[str]):
    return lambda paragraph: " ".join(porter(t) for t in tokenize(paragraph) if t.lower() not in stopwords)


def test_the_models_own_pipeline_keeps_everything_and_is_restorable():
    found = detect_documents([DEFAULT_PIPELINE.stem_text(p) for p in MINI])
    assert (found.punctuation, found.numbers, found.short_words) == ("kept", "kept", "kept")
    assert found.matches(DEFAULT_PIPELINE) and found.restorable_as(DEFAULT_PIPELINE) == "destem"
    assert found.losses(DEFAULT_PIPELINE) == []
    snowball = detect_documents([ForwardPipeline(stemmer="snowball-english").stem_text(p) for p in MINI])
    assert snowball.restorable_as(DEFAULT_PIPELINE) == "snowball" and snowball.losses(DEFAULT_PIPELINE) == []


def test_the_models_own_pipeline_keeps_short_words_where_the_text_has_none():
    """Old speeches hold no "uk" or "km": the commas and "'s" that a filter by length drops say enough."""
    stems = [DEFAULT_PIPELINE.stem_text("The governor's parties agreed, and the voters followed them.")] * 800
    assert not any(len(t) <= 2 and t.isalpha() for t in " ".join(stems).split())
    found = detect_documents(stems)  # 8,000 tokens
    assert (found.punctuation, found.short_words) == ("kept", "kept")
    assert found.evidence["punctuation tokens of 1-2 characters (a filter by length drops them too)"] == 2_400
    letters = detect_documents([" ".join(t for t in s.split() if t.isalpha()) for s in stems])
    assert (letters.punctuation, letters.short_words) == ("dropped", "dropped")


def test_a_single_paragraph_without_punctuation_reads_as_punctuation_dropped():
    """Through destem's pipeline every paragraph keeps its full stop: ten tokens without one are enough."""
    paragraph = ("Vesta was discovered by Heinrich Wilhelm Olbers on 29 March 1807 and is named after Vesta, "
                 "the virgin goddess of home and hearth.")
    assert len(isalpha_tutorial(paragraph).split()) == 12
    assert detect_documents([isalpha_tutorial(paragraph)]).punctuation == "dropped"
    assert detect_documents([DEFAULT_PIPELINE.stem_text(paragraph)]).punctuation == "kept"
    assert detect_documents(["vesta discov heinrich wilhelm olber"]).punctuation == "unknown"  # a few keywords


def test_the_isalpha_tutorial_line_is_not_the_models_pipeline():
    found = detect_documents([isalpha_tutorial(p) for p in MINI])
    assert (found.stemmer, found.stopwords) == ("porter-nltk", "nltk-179")
    assert (found.punctuation, found.numbers, found.short_words) == ("dropped", "dropped", "kept")
    assert not found.matches(DEFAULT_PIPELINE) and found.restorable_as(DEFAULT_PIPELINE) is None
    assert found.confidence_against(DEFAULT_PIPELINE) == 1.0
    losses = found.losses(DEFAULT_PIPELINE)
    assert losses[0].startswith("no punctuation in the input") and losses[1].startswith("numbers were dropped")
    assert found.describe() == "porter-nltk stems, nltk-179 stopwords removed, punctuation and numbers dropped"


def test_the_letters_only_recipe_drops_short_words_too():
    found = detect_documents([letters_only(p) for p in MINI * 2])  # ~5,000 stems: enough to tell short words
    assert (found.stemmer, found.stopwords) == ("porter-nltk", "nltk-179")
    assert (found.punctuation, found.numbers, found.short_words) == ("dropped", "dropped", "dropped")
    assert any(loss.startswith("words of 1-2 letters were dropped") for loss in found.losses(DEFAULT_PIPELINE))


def test_short_tokens_the_stemmer_makes_of_no_longer_word_say_short_words_were_kept():
    """A speech through the isalpha line whose only short word is "us": no count of kinds of short token tells it
    from the letters-only recipe, but NLTK's Porter makes "us" of no longer word, so that recipe cannot leave it."""
    speech = "Let us work together, for the nation asks us to serve it and history will judge us by our deeds."
    text = [isalpha_tutorial(p) for p in [*PLAIN * 30, speech, speech, speech]]
    assert sum(len(t) <= 2 for t in " ".join(text).split()) == 9 and len(" ".join(text).split()) > 3_000
    found = detect_documents(text)
    assert (found.punctuation, found.short_words) == ("dropped", "kept")
    assert found.evidence["1-2-letter tokens the stemmer makes of no longer word (us, os)"] == 9
    assert found.restorable_as(DEFAULT_PIPELINE, ("destem", "isalpha", "letters")) == "isalpha"
    letters = detect_documents([letters_only(p) for p in [*PLAIN * 30, speech, speech, speech]])
    assert letters.short_words == "dropped"
    assert letters.restorable_as(DEFAULT_PIPELINE, ("destem", "isalpha", "letters")) == "letters"
    # in a text too short to show short words dropped, they show them kept
    short = [*PLAIN * 5, speech, speech, speech]
    assert detect_documents([isalpha_tutorial(p) for p in short]).short_words == "kept"
    assert detect_documents([letters_only(p) for p in short]).short_words == "unknown"
    # a few that rarer longer words make ("ph" of "PHS" in a public-health text) are no such sign in a long text
    health = "The PHS report was reviewed by the PHS staff, and PHS officials praised the PHS study of the PHS."
    letters = [letters_only(p) for p in [*PLAIN * 60, health, health]]
    assert " ".join(letters).split().count("ph") == 10 and len(" ".join(letters).split()) > 5_000
    assert detect_documents(letters).short_words == "dropped"


def test_gensims_preprocess_string_is_named_as_such():
    preprocessing = pytest.importorskip("gensim.parsing.preprocessing")
    found = detect_documents([" ".join(preprocessing.preprocess_string(p)) for p in MINI * 2])
    # gensim's Porter makes Martin's variant's stems ("dai" of "day", "technolog"), which differ from the original
    # algorithm's in -logy and -bly words and, without punctuation, in nothing else; these articles have one, six
    # times over: "trilogy", which both make "trilogi"
    assert found.stemmer in ("porter-martin", "porter-original") and found.stopwords == "gensim"
    assert found.evidence["their y made i (dai, wai, mai)"] > 0
    assert (found.punctuation, found.numbers, found.short_words) == ("dropped", "dropped", "dropped")
    assert "the gensim stopword list also removed words the model does not put back" in " ".join(
        found.losses(DEFAULT_PIPELINE))


@pytest.mark.parametrize("name", ["sklearn", "spacy", "smart"])
def test_the_other_libraries_lists_are_named(name):
    found = detect_documents([treebank_with(stopword_list(name))(p) for p in MINI])
    assert (found.stemmer, found.stopwords, found.punctuation, found.numbers) == ("porter-nltk", name, "kept", "kept")
    assert not found.matches(DEFAULT_PIPELINE) and found.restorable_as(DEFAULT_PIPELINE) is None


def test_a_list_that_keeps_the_negations_is_unknown_and_they_are_named():
    negations = {"not", "no", "nor", "don", "didn", "doesn", "isn", "wasn", "won", "against"}
    found = detect_documents([treebank_with(STOPWORDS - negations)(p) for p in MINI])
    assert found.stemmer == "porter-nltk" and found.stopwords == "unknown"
    assert "not" in found.stopwords_kept and set(found.stopwords_kept) <= negations
    assert not found.matches(DEFAULT_PIPELINE)
    assert "a stopword list that keeps 'not'" in " ".join(found.losses(DEFAULT_PIPELINE))


def test_wordnet_lemmas_are_named():
    # mini_corpus.wordnet-lemmas.txt: Treebank tokens, lowercased, NLTK's 179 stopwords removed, NLTK's
    # WordNetLemmatizer().lemmatize (tests/data/README.md says how it was made)
    lemmas = (Path(__file__).parent / "data" / "mini_corpus.wordnet-lemmas.txt").read_text(encoding="utf-8")
    found = detect_documents(lemmas.splitlines())
    # the lemmatizer makes "o" of one "OS" ("version OS host"), as the 127-word list keeps "o": a coin toss between
    # the two lists, which leave the same text of these articles but for that
    assert (found.stemmer, found.punctuation, found.numbers) == ("wordnet-lemmas", "kept", "kept")
    assert found.stopwords in ("nltk-179", "nltk-127") and found.stemmer_confidence > 0.8
    assert "WordNet lemmas, not stems" in " ".join(found.losses(DEFAULT_PIPELINE))


def test_the_lemma_fixture_is_what_nltks_lemmatizer_makes():
    stem = pytest.importorskip("nltk.stem")
    lemmatize = stem.WordNetLemmatizer().lemmatize
    try:
        lemmatize("dogs")
    except LookupError:
        pytest.skip("NLTK finds no WordNet (NLTK_DATA)")
    made = [" ".join(lemmatize(t.lower()) for t in tokenize(p) if t.lower() not in STOPWORDS) for p in MINI]
    lemmas = (Path(__file__).parent / "data" / "mini_corpus.wordnet-lemmas.txt").read_text(encoding="utf-8")
    assert made == lemmas.splitlines()


def test_detect_json_names_the_filters_and_the_losses(tmp_path, capsys):
    path = tmp_path / "tutorial.txt"
    path.write_text("\n".join(isalpha_tutorial(p) for p in MINI) + "\n", encoding="utf-8")
    assert main(["detect", "--json", str(path)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["punctuation"], found["numbers"], found["short_words"]) == ("dropped", "dropped", "kept")
    assert (found["matches_model"], found["restorable_as"], found["stopwords_kept"]) == (False, None, [])
    assert found["losses"][0].startswith("no punctuation in the input")
    assert main(["detect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "punctuation and numbers dropped" in out and "cannot come back" in out


def test_restore_says_what_a_tutorial_input_loses(default_model_dir, tmp_path, capsys):
    path = tmp_path / "tutorial.txt"
    path.write_text("\n".join(isalpha_tutorial(p) for p in PROSE) + "\n", encoding="utf-8")
    assert main(["restore", "--device", "cpu", str(path)]) == 0
    [warning] = [line for line in capsys.readouterr().err.splitlines() if "another pipeline" in line]
    assert "punctuation dropped" in warning
    assert "no punctuation in the input: the restoration will have no punctuation or sentence breaks" in warning


# conversation, which Wikipedia (the rates' text) seldom has: Treebank splits "we're" into "we" "'re"; Porter keeps
# "'re", Snowball writes "re"
DIALOGUE = [
    "We can't believe you didn't tell the party! We're going to need chairs, so somebody call the caterers by noon.",
    "They'll arrive early, and we've asked them to bring boxes of books for the new library.",
    "You're welcome to stay, but we'll close the doors at nine because the keepers have lived alone for years.",
    "The river flooded the valley in the spring, and thousands of families lost their homes.",
    "Engineers later built a series of levees along the banks to protect the towns.",
    "I've never seen a lighthouse like it: the ships passing at night relied on its beam to avoid the reefs.",
]


@pytest.mark.parametrize("copies", [1, 10])
@pytest.mark.parametrize("stemmer", ["porter-nltk", "snowball-english"])
def test_clitics_tell_porter_from_snowball(stemmer, copies):
    pipeline = ForwardPipeline(stemmer=stemmer)
    stems = [pipeline.stem_text(text) for text in DIALOGUE] * copies
    assert ("'re" in " ".join(stems).split()) == (stemmer == "porter-nltk")
    found = detect_documents(stems)
    assert found.stemmer == stemmer
    if stemmer == "porter-nltk":
        assert found.matches(DEFAULT_PIPELINE)


def test_an_empty_file_is_named_not_read_as_a_pipeline(tmp_path, capsys):
    empty, stems = tmp_path / "empty.txt", tmp_path / "stems.txt"
    empty.write_text("\n\n", encoding="utf-8")
    stems.write_text("".join(DEFAULT_PIPELINE.stem_text(text) + "\n" for text in DIALOGUE), encoding="utf-8")
    assert main(["detect", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"destem: warning: {empty}: no stems in it, so no pipeline to tell\n"
    assert main(["detect", str(empty), str(stems)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{stems}: porter-nltk stems") and str(empty) not in out
    assert out.count("lowercased") == 1


@pytest.mark.parametrize("ratio, frequent, stopwords", [(5.0, 9, "unknown"), (-5.0, 9, "none"), (5.0, 10, "none")])
def test_frequent_words_missing_name_an_unknown_list_only_where_removal_is_likelier(monkeypatch, ratio, frequent,
                                                                                     stopwords):
    # a long text keeping every stopword but written without "was", "he", "had" (a timetable, a manual): their
    # absence names a removing list only where the counts are likelier removed than rare (the log-likelihood ratio)
    # and they are a third or more of the words it would hold often
    from destem.text import detect

    monkeypatch.setattr(detect, "missing_stopwords", lambda *args: (["was", "he", "had"], ratio, frequent))
    found = detect_documents(long_input(ForwardPipeline(stopwords="none"), OWNERS))
    assert found.stopwords == stopwords
    assert found.stopwords_confidence > 0.9
