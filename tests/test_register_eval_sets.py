"""data/recipes/registers/eval_sets.py on small synthetic held-out corpora: levelled caps for few
long documents, documents in order for many, small registers whole, whole paragraphs and their
headings, the Wikipedia validation split, and the same bytes on every run."""
from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

import pytest

from destem.text.documents import read_documents
from destem.text.pairs import PairConfig, split_of

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "data" / "recipes" / "registers" / "eval_sets.py"
spec = importlib.util.spec_from_file_location("eval_sets", SCRIPT)
eval_sets = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = eval_sets  # dataclasses look their module up while the script loads
spec.loader.exec_module(eval_sets)


def paragraph(k: int, words: int = 10) -> str:
    return " ".join(f"w{k}x{i}" for i in range(words - 1)) + " end."


def write_corpus(path: Path, docs: list[tuple[str, list[str]]]) -> None:
    text = "".join(f"# {title}\n" + "".join(line + "\n" for line in lines) + "\n" for title, lines in docs)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)


@pytest.fixture()
def heldout(tmp_path) -> Path:
    """fiction: 3 documents of 100 ten-word paragraphs (headings between); forum: 30 of 5 paragraphs;
    news: 2 short ones; the other registers one short document each."""
    folder = tmp_path / "heldout"
    folder.mkdir()
    def novel(n: int) -> list[str]:
        return [line for k in range(100) for line in ([f"## CHAPTER {n}-{k}"] if k % 10 == 0 else []) + [paragraph(k)]]

    write_corpus(folder / "fiction.heldout.txt.gz", [(f"Novel {n}", novel(n)) for n in range(3)])
    write_corpus(folder / "forum.heldout.txt.gz", [(f"Question {n}?", [paragraph(k) for k in range(5)])
                                                   for n in range(30)])
    write_corpus(folder / "news.heldout.txt.gz", [("Story", [paragraph(1), "## Later", paragraph(2)]),
                                                  ("Interview", [paragraph(3, 7)])])
    for register in ("speeches", "science", "howto"):
        write_corpus(folder / f"{register}.heldout.txt.gz", [(f"{register} one", [paragraph(0)])])
    return folder


def run(heldout: Path, out: Path, *extra: str) -> dict[str, list]:
    assert eval_sets.main(["--heldout", str(heldout), "--out", str(out), "--words", "300", "--min-cap", "40",
                           *extra]) == 0
    return {p.name.removesuffix(".txt.gz"): list(read_documents(str(p))) for p in sorted(out.glob("*.txt.gz"))}


def paragraphs(doc) -> list[str]:
    return [line for line in doc.text.split("\n") if not line.startswith("## ")]


def test_few_long_documents_give_equal_shares_of_whole_paragraphs(heldout, tmp_path):
    sets = run(heldout, tmp_path / "out")
    fiction = sets["fiction"]
    assert [d.doc_id for d in fiction] == ["Novel 0", "Novel 1", "Novel 2"]  # every novel, in order
    # the level: 100 words each reach 300; each novel's first 10 paragraphs, whole
    assert [paragraphs(d) for d in fiction] == [[paragraph(k) for k in range(10)]] * 3
    # the chapter heading before a kept paragraph stays; the next chapter's (no paragraph kept) goes
    assert all(d.text.split("\n")[0].startswith("## CHAPTER") and d.text.count("## ") == 1 for d in fiction)


def test_many_documents_are_taken_in_order_at_the_least_cap(heldout, tmp_path):
    forum = run(heldout, tmp_path / "out")["forum"]
    # 40 words a document (4 paragraphs of 10) until 300 words: 8 documents, the first 8
    assert [d.doc_id for d in forum] == [f"Question {n}?" for n in range(8)]
    assert all(paragraphs(d) == [paragraph(k) for k in range(4)] for d in forum)


def test_a_small_register_is_taken_whole(heldout, tmp_path):
    sets = run(heldout, tmp_path / "out")
    news = gzip.decompress((tmp_path / "out" / "news.txt.gz").read_bytes()).decode()
    assert news == gzip.decompress((heldout / "news.heldout.txt.gz").read_bytes()).decode()
    assert [d.doc_id for d in sets["news"]] == ["Story", "Interview"]


def test_same_bytes_every_run_and_a_fixed_timestamp(heldout, tmp_path):
    run(heldout, tmp_path / "a")
    run(heldout, tmp_path / "b")
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
        if path.suffix == ".gz":
            assert path.read_bytes()[4:8] == b"\0\0\0\0"  # gzip MTIME


def test_sources_name_each_document_with_its_words(heldout, tmp_path):
    run(heldout, tmp_path / "out")
    rows = [line.split("\t") for line in (tmp_path / "out" / "sources.tsv").read_text().splitlines()]
    assert rows[0] == ["register", "title", "repository", "origin", "words", "document_words"]
    fiction = [r for r in rows if r[0] == "fiction"]
    assert [(r[1], r[4], r[5]) for r in fiction] == [(f"Novel {n}", "100", "1000") for n in range(3)]


def test_wikipedia_set_takes_validation_articles_in_order_and_leaves_out_excluded(heldout, tmp_path):
    titles = [f"Bridge {k}" for k in range(2000)]
    valid = [t for t in titles if split_of(t, PairConfig()) == "validation"]
    assert len(valid) >= 6
    corpus = tmp_path / "wiki.txt"
    corpus.write_text("".join(f"# {t}\n## History\n{paragraph(k, 30)}\n{paragraph(k + 1, 30)}\n\n"
                              for k, t in enumerate(titles)), encoding="utf-8")
    benchmark = tmp_path / "bench.txt"
    benchmark.write_text(f"# {valid[0]}\nSome text of the benchmark.\n", encoding="utf-8")
    wikipedia = run(heldout, tmp_path / "out", "--corpus", str(corpus), "--exclude", str(benchmark))["wikipedia"]
    # 60 words an article (two 30-word paragraphs reach the 40-word cap) until 300 words: 5 articles
    assert [d.doc_id for d in wikipedia] == valid[1:6]
    assert all(d.text.startswith("## History\n") and len(paragraphs(d)) == 2 for d in wikipedia)


@pytest.mark.parametrize("words, target, min_cap, level", [
    ([100, 100, 100], 400, 10, None),  # everything is less than the target: all, whole
    ([1000, 1000, 1000], 300, 10, 100),  # three equal shares
    ([50, 1000, 1000], 300, 10, 125),  # a short document whole, the others level
    ([1000] * 50, 300, 40, 40),  # the least cap already reaches the target
])
def test_water_level(words, target, min_cap, level):
    assert eval_sets.water_level(words, target, min_cap) == level


def test_register_table_reads_each_registers_report(tmp_path):
    """destem.lab.register_table: one row per register folder, Wikipedia first, from report.json alone."""
    import json

    from destem.lab.register_table import table

    classes = {name: {"reference": 40, "recall": 25.0} for name in
               ("negation", "pronoun, 1st person", "pronoun, 2nd person", "auxiliary or modal")}
    for register, bleu in (("news", 30.0), ("wikipedia", 50.0)):
        scores = {"bleu": bleu, "chrf++": 70.0}
        report = {"data": {"documents": 3, "words": 2413},
                  "systems": {"lexicon": {"documents": {"scores": {"bleu": 10.0}}},
                              "model": {"documents": {"scores": scores,
                                                      "counts": {"roundtrip_documents": 3, "texts": 3,
                                                                 "roundtrip_stems": 1697, "input_stems": 1697}},
                                        "windows": {"scores": {"content_accuracy": 80.0, "function_f1": None},
                                                    "function_classes": classes}}}}
        (tmp_path / register).mkdir()
        (tmp_path / register / "report.json").write_text(json.dumps(report))
    lines = table(tmp_path).splitlines()
    assert len(lines) == 4 and lines[0].startswith("| register")
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["wikipedia", "news"]
    cells = [c.strip() for c in lines[3].split("|")[1:-1]]
    assert cells == ["news", "3", "2,413", "30.0", "70.0", "80.0", "–", "3/3, 1,697/1,697", "10.0",
                     "25.0 (40)", "25.0 (40)", "25.0 (40)", "25.0 (40)"]
