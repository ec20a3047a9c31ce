"""The two-cut experiment (issue 19): a document tagged in two windowings still restores in order
and round-trips; where both windowings are the same single window it restores as the shipped
Restorer does."""
from __future__ import annotations

from pathlib import Path

import pytest

from destem.lab import two_cut
from destem.lab.two_cut import TwoCutRestorer
from destem.restore.restorer import Restorer
from destem.text.forward import stem_text
from destem.text.windows import window_bounds

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
PARAGRAPHS = [line for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def restorers(toy_model_dir):
    shipped = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    return shipped, TwoCutRestorer(shipped.model, shipped.tokenizer, shipped.lexicon, "cpu", shipped.max_stems,
                                   shipped.lm)


def test_a_document_of_one_window_restores_as_the_shipped_restorer_does(restorers):
    shipped, both = restorers
    short = [stem_text(p) for p in PARAGRAPHS if len(stem_text(p).split()) < min(shipped.max_stems, 30)][:3]
    assert short and all(len(window_bounds(s.split(), two_cut.SECOND_CUT_STEMS)) == 1 for s in short)
    assert both.restore(short) == shipped.restore(short)


def test_long_documents_are_cut_twice_and_still_round_trip_in_order(restorers, monkeypatch):
    shipped, both = restorers
    monkeypatch.setattr(two_cut, "SECOND_CUT_STEMS", 20)  # other cuts than the toy's 48-stem windows
    documents = [" ".join(stem_text(p) for p in PARAGRAPHS[i: i + 6]) for i in (0, 6)] + [""]
    assert all(len(window_bounds(d.split(), shipped.max_stems)) > 1 for d in documents[:2])
    restorations = both.restore_documents(documents)
    assert all(r.roundtrip_ok for r in restorations)
    assert [stem_text(r.text) for r in restorations] == documents


def test_inner_scores_are_averaged_and_edge_gaps_kept(restorers, monkeypatch):
    shipped, both = restorers
    monkeypatch.setattr(two_cut, "SECOND_CUT_STEMS", 20)
    stems = " ".join(stem_text(p) for p in PARAGRAPHS[:6]).split()
    windows = [stems[s:e] for s, e in window_bounds(stems, shipped.max_stems)]
    bias = shipped.decoding().empty_gap_bias
    alone, averaged = (shipped._tag_windows(windows, 4096, None, bias, True),
                      both._tag_windows(windows, 4096, None, bias, True))
    for a, b in zip(alone, averaged):
        assert a.top_gap_log_probs[0] == pytest.approx(b.top_gap_log_probs[0], abs=1e-5)  # the window's first gap
        assert a.top_gap_log_probs[-1] == pytest.approx(b.top_gap_log_probs[-1], abs=1e-5)  # its tail
    inner = [(a.top_gap_log_probs[k], b.top_gap_log_probs[k]) for a, b in zip(alone, averaged)
             for k in range(1, len(a.top_gap_log_probs) - 1)]
    assert sum(x != pytest.approx(y, abs=1e-5) for x, y in inner) > len(inner) // 2
