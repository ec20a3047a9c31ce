"""The word n-gram LM (stupid backoff, trigrams or 4-grams) and the joint choice of gaps and forms it drives."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from destem.restore.joint_decode import StemOptions, joint_decode
from destem.restore.ngram import (
    FOURGRAM_KEY_BITS,
    NgramLM,
    _hash_buckets,
    _lookup,
    _lookup_hashed,
    fourgram_key,
    window_words,
)

WINDOWS = [["the", "cat", "sat"], ["the", "cat", "ran"], ["a", "cat", "sat"]]  # 9 words + 3 <s>


def build(windows, **counts) -> NgramLM:
    return NgramLM.build(lambda: iter(windows), **counts)


def log_prob(lm: NgramLM, u: str, v: str, w: str) -> float:
    [u_id, v_id, w_id] = lm.word_ids([u, v, w])
    return float(lm.log_probs(np.array([0]), np.array([u_id]), np.array([v_id]), np.array([w_id]))[0])


@pytest.mark.parametrize("context, word, expected", [
    (("<s>", "<s>"), "the", math.log(2 / 3)),  # trigram: 2 of the 3 window starts
    (("<s>", "the"), "cat", 0.0),
    (("the", "cat"), "sat", math.log(1 / 2)),
    (("a", "cat"), "sat", 0.0),
    (("a", "cat"), "ran", math.log(0.4 * 1 / 3)),  # backoff to the bigram (cat ran) over cat's 3
    (("cat", "sat"), "the", math.log(0.16 * 3 / 12)),  # backoff twice: the's 2 (+1) of 12 unigrams
    (("cat", "sat"), "dog", math.log(0.16 * 1 / 12)),  # unknown word: add-one unigram
])
def test_stupid_backoff_golden_values(context, word, expected):
    lm = build(WINDOWS, min_word_count=1, min_ngram_count=1, order=3)
    assert log_prob(lm, *context, word) == pytest.approx(expected)


def four_log_prob(lm: NgramLM, t: str, u: str, v: str, w: str) -> float:
    return float(lm.log_probs(*(np.array([i]) for i in lm.word_ids([t, u, v, w])))[0])


@pytest.mark.parametrize("context, word, expected", [
    (("<s>", "<s>", "the"), "cat", 0.0),  # 4-gram (<s> <s> the cat): both windows starting with "the"
    (("<s>", "the", "cat"), "sat", math.log(1 / 2)),
    (("<s>", "a", "cat"), "sat", 0.0),
    (("<s>", "a", "cat"), "ran", math.log(0.4 * 0.4 * 1 / 3)),  # no 4-gram, no trigram (a cat ran): bigram
    (("dog", "the", "cat"), "sat", math.log(0.4 * 1 / 2)),  # unseen context: back off to the trigram
    (("<s>", "<s>", "<s>"), "the", math.log(0.4 * 2 / 3)),  # a window's first word: every choice backs off
])
def test_fourgram_golden_values(context, word, expected):
    lm = build(WINDOWS, min_word_count=1, min_ngram_count=1, order=4)
    assert lm.order == 4
    assert four_log_prob(lm, *context, word) == pytest.approx(expected)


def test_fourgram_keys_are_fixed_40_bit_hashes():
    rng = np.random.default_rng(0)
    t, u, v, w = (rng.integers(0, 1 << 21, 10_000) for _ in range(4))
    keys = fourgram_key(t, u, v, w)
    assert keys.min() >= 0 and keys.max() < 1 << FOURGRAM_KEY_BITS
    assert len(np.unique(keys)) == len(keys)  # 10,000 random 4-grams: no shared key
    np.testing.assert_array_equal(keys, fourgram_key(t, u, v, w))
    assert fourgram_key(t[:1], u[:1], v[:1], w[:1])[0] != fourgram_key(u[:1], t[:1], v[:1], w[:1])[0]  # order counts


@pytest.mark.parametrize("stored", [0, 1, 5, 50_000])
def test_hashed_lookups_find_what_a_binary_search_finds(stored):
    """4-gram keys are looked up by bucket; a key at either end of the 40-bit range, one sharing a
    bucket with others, and absent keys must all read as a plain search over the sorted keys reads them."""
    rng = np.random.default_rng(stored)
    edges = np.array([0, (1 << FOURGRAM_KEY_BITS) - 1, 12345, 12346])[:stored]
    keys = np.unique(np.concatenate([rng.integers(0, 1 << FOURGRAM_KEY_BITS, stored), edges])).astype(np.int64)
    counts = rng.integers(1, 100, len(keys)).astype(np.float64)
    queries = np.concatenate([keys, rng.integers(0, 1 << FOURGRAM_KEY_BITS, 500), [0, 12347, (1 << 40) - 2]])
    queries = rng.permutation(queries).reshape(-1, 1)
    found = _lookup_hashed(keys, counts, _hash_buckets(keys), queries)
    assert found.shape == queries.shape
    assert (found == _lookup(keys, counts, queries)).all()
    assert (found[np.isin(queries, keys)] > 0).all()


def test_an_lm_of_another_order_is_refused():
    with pytest.raises(ValueError, match="order"):
        build(WINDOWS, order=5)


@pytest.mark.parametrize("order", [3, 4])
def test_a_batch_of_lookups_scores_each_like_one_alone(order):
    # lookups are sorted and split into hits and backoffs internally; order must not matter
    lm = build(WINDOWS, min_word_count=1, min_ngram_count=1, order=order)
    words = ["<s>", "the", "cat", "sat", "ran", "a", "dog"]
    quads = [lm.word_ids([t, u, v, w]) for t in words[:3] for u in words for v in words for w in words][::-1]
    t, u, v, w = (np.array(column) for column in zip(*quads))
    together = lm.log_probs(t, u, v, w)
    alone = [float(lm.log_probs(t[i:i + 1], u[i:i + 1], v[i:i + 1], w[i:i + 1])[0]) for i in range(len(quads))]
    assert together.tolist() == alone
    assert lm.log_probs(t[:0], u[:0], v[:0], w[:0]).shape == (0,)
    # each distinct n-gram is looked up once: asked again, in any order, it scores the same
    again = np.random.default_rng(order).permutation(np.concatenate([np.arange(len(quads))] * 3))
    assert lm.log_probs(t[again], u[again], v[again], w[again]).tolist() == [alone[i] for i in again]


def test_4grams_that_share_a_hashed_key_are_still_scored_each_as_itself(monkeypatch):
    import destem.restore.ngram as ngram

    lm = build(WINDOWS + [["a", "cat", "ran"]], min_word_count=1, min_ngram_count=1, order=4)
    quads = [lm.word_ids(q) for q in (["<s>", "<s>", "the", "cat"], ["<s>", "<s>", "a", "cat"],
                                      ["<s>", "the", "cat", "sat"], ["<s>", "a", "cat", "ran"])] * 2
    t, u, v, w = (np.array(column) for column in zip(*quads))
    monkeypatch.setattr(ngram, "fourgram_key", lambda t, u, v, w: np.zeros(np.shape(w), dtype=np.int64))
    alone = [float(lm.log_probs(t[i:i + 1], u[i:i + 1], v[i:i + 1], w[i:i + 1])[0]) for i in range(len(quads))]
    assert len(set(alone)) > 1  # the 4-grams score apart, so merging them by key would show
    assert lm.log_probs(t, u, v, w).tolist() == alone


def test_pruned_counts_back_off_and_rare_words_become_unknown():
    lm = build(WINDOWS, min_word_count=2, min_ngram_count=2, order=3)
    assert lm.vocab == ["<unk>", "<s>", "cat", "sat", "the"]
    assert log_prob(lm, "the", "cat", "sat") == pytest.approx(math.log(0.4 * 2 / 3))  # (the cat sat) seen once
    assert lm.word_ids(["a", "cat"]) == [0, 2]


@pytest.mark.parametrize("order", [3, 4])
def test_save_and_load_give_the_same_scores(tmp_path, order):
    lm = build(WINDOWS * 50 + [["a", "dog", "ran"]], min_word_count=1, min_ngram_count=1, order=order)
    lm.save(str(tmp_path))
    loaded = NgramLM.load(str(tmp_path))
    assert loaded.vocab == lm.vocab and loaded.order == order
    rng = np.random.default_rng(0)
    t, u, v, w = (rng.integers(0, len(lm.vocab), 200) for _ in range(4))
    np.testing.assert_allclose(loaded.log_probs(t, u, v, w), lm.log_probs(t, u, v, w))
    assert NgramLM.load(str(tmp_path / "elsewhere")) is None


DOMAIN = [["you", "sat", "down"], ["you", "sat", "down"], ["the", "cat", "sat", "down"]]


@pytest.mark.parametrize("order", [3, 4])
def test_merging_a_corpus_adds_its_words_and_ngrams_at_its_share(order):
    base = build(WINDOWS, min_word_count=1, min_ngram_count=1, order=order)
    merged = base.merged(lambda: iter(DOMAIN), share=0.5, min_word_count=1, min_ngram_count=1)
    assert merged.vocab == base.vocab and merged.added == ["down", "you"]  # the base words keep their ids
    assert merged.word_ids(["cat", "down", "you"]) == [base.word_id("cat"), len(base.vocab), len(base.vocab) + 1]
    # the corpus's 13 unigrams (3 <s>, 10 words) weigh as the base's 12: the base's scaled up by 13/12, rounded
    assert merged.total == pytest.approx(2 * 13, abs=1)
    assert log_prob(merged, "<s>", "<s>", "you") > log_prob(base, "<s>", "<s>", "you")
    # where the corpus is silent the base's n-grams still count: "a cat sat" was only in the base
    assert log_prob(merged, "a", "cat", "sat") == log_prob(base, "a", "cat", "sat")
    slight = base.merged(lambda: iter(DOMAIN), share=0.01, min_word_count=1, min_ngram_count=1)
    assert log_prob(slight, "the", "cat", "ran") == pytest.approx(log_prob(base, "the", "cat", "ran"), abs=0.05)
    with pytest.raises(ValueError, match="between 0 and 1"):
        base.merged(lambda: iter(DOMAIN), share=1.0)


def test_a_merged_lm_survives_save_and_load(tmp_path):
    merged = build(WINDOWS, min_word_count=1, min_ngram_count=1).merged(lambda: iter(DOMAIN), share=0.3,
                                                                         min_word_count=1, min_ngram_count=1)
    merged.save(str(tmp_path))
    loaded = NgramLM.read(str(tmp_path))
    assert loaded.added == merged.added
    for context in (("<s>", "you"), ("you", "sat"), ("the", "cat")):
        for word in ("down", "sat", "ran", "you"):
            assert log_prob(loaded, *context, word) == pytest.approx(log_prob(merged, *context, word))


@pytest.mark.parametrize("order", [3, 4])
def test_a_merged_lm_merges_again_and_its_words_keep_their_ids(tmp_path, order):
    """Fine-tuning from a model whose LM was merged (the general model) merges the user's corpus into it."""
    once = build(WINDOWS, min_word_count=1, min_ngram_count=1, order=order).merged(
        lambda: iter(DOMAIN), share=0.3, min_word_count=1, min_ngram_count=1)
    more = [["an", "owl", "sat", "down"], ["you", "saw", "an", "owl"]]
    twice = once.merged(lambda: iter(more), share=0.3, min_word_count=1, min_ngram_count=1)
    assert twice.added == ["down", "you", "an", "owl", "saw"]  # the new words after the first merge's
    assert twice.word_ids(["down", "you", "an", "saw", "cat", "fox"]) == [
        once.word_id("down"), once.word_id("you"), once.words, once.words + 2, once.word_id("cat"), 0]
    assert log_prob(twice, "you", "saw", "an") > log_prob(once, "you", "saw", "an")
    assert log_prob(twice, "you", "sat", "down") == pytest.approx(log_prob(once, "you", "sat", "down"), abs=0.3)
    twice.save(str(tmp_path))
    loaded = NgramLM.read(str(tmp_path))
    assert loaded.added_runs == [2, 3] and loaded.word_ids(["owl", "you"]) == twice.word_ids(["owl", "you"])
    assert log_prob(loaded, "saw", "an", "owl") == pytest.approx(log_prob(twice, "saw", "an", "owl"))


def test_window_words_are_lowercased_with_gaps_and_without_paragraph_marks():
    assert window_words(["Trotsky", "founded", "army"], ["¶ The", "", "the Red"], "") == \
        ["the", "trotsky", "founded", "the", "red", "army"]
    assert window_words([], [], "") == []


# ---------------------------------------------------------------- joint choice of gaps and forms

CORPUS = [["it", "was", "founded", "in", "1990"]] * 20 + [["he", "founded", "it"]] * 2
GAPS = ["", "was", "in", "the"]  # gap labels by id


def options(lm: NgramLM, gap_log_probs: list[list[float]], words: list[list[tuple[str, float]]]):
    """Positions for the words "it ? founded ? 1990", gaps 0-3 everywhere, then the tail."""
    positions = [StemOptions([0, 1, 2, 3], lps, lm.word_ids([w for w, _ in forms]), [lp for _, lp in forms])
                 for lps, forms in zip(gap_log_probs, words)]
    return positions + [StemOptions([0, 1, 2, 3], [-0.1, -3.0, -3.0, -3.0], [-1], [0.0])]


def decode(lm, positions, weight, bonus=0.0):
    gap_words = [lm.word_ids(g.split()) for g in GAPS]
    [choice] = joint_decode(lm, gap_words, [positions], weight, bonus)
    return choice


def test_without_the_lm_each_position_takes_the_taggers_best():
    lm = build(CORPUS, min_word_count=1, min_ngram_count=1)
    gap_lps = [[-0.1, -3, -3, -3], [-0.5, -1.0, -3, -3], [-0.5, -3, -1.0, -3]]
    words = [[("it", 0.0)], [("founded", -0.2), ("founds", -1.9)], [("1990", 0.0)]]
    assert decode(lm, options(lm, gap_lps, words), weight=0.0) == [(0, 0), (0, 0), (0, 0), (0, 0)]


def test_the_lm_puts_back_function_words_the_tagger_was_unsure_of():
    lm = build(CORPUS, min_word_count=1, min_ngram_count=1)
    gap_lps = [[-0.1, -3, -3, -3], [-0.5, -1.0, -3, -3], [-0.5, -3, -1.0, -3]]
    words = [[("it", 0.0)], [("founds", -0.2), ("founded", -1.9)], [("1990", 0.0)]]
    choice = decode(lm, options(lm, gap_lps, words), weight=1.0, bonus=1.0)
    # "it was founded in 1990": gap "was" (1) and the second form at stem 2, gap "in" (2) at stem 3
    assert choice == [(0, 0), (1, 1), (2, 0), (0, 0)]


def test_windows_searched_together_choose_as_they_would_alone():
    lm = build(CORPUS, min_word_count=1, min_ngram_count=1)
    gap_words = [lm.word_ids(g.split()) for g in GAPS]
    unsure = options(lm, [[-0.1, -3, -3, -3], [-0.5, -1.0, -3, -3], [-0.5, -3, -1.0, -3]],
                     [[("it", 0.0)], [("founds", -0.2), ("founded", -1.9)], [("1990", 0.0)]])
    short = options(lm, [[-2.0, -0.1, -3, -3]], [[("he", 0.0)]])
    tail_only = options(lm, [], [])
    windows = [unsure, short, tail_only, unsure[1:]]
    together = joint_decode(lm, gap_words, windows, 1.0, 1.0)
    assert together == [joint_decode(lm, gap_words, [w], 1.0, 1.0)[0] for w in windows]
    assert [len(c) for c in together] == [4, 2, 1, 3]
    assert joint_decode(lm, gap_words, [], 1.0, 1.0) == []


def test_a_fourgram_lm_reads_three_words_back():
    # after "x a b" the corpus always says c, after "y a b" always d: a trigram LM sees only "a b"
    corpus = [["x", "a", "b", "c"]] * 5 + [["y", "a", "b", "d"]] * 5
    gaps = ["", "a b"]
    results = {}
    for order in (3, 4):
        lm = build(corpus, min_word_count=1, min_ngram_count=1, order=order)
        positions = [StemOptions([0], [0.0], lm.word_ids(["x"]), [0.0]),
                     StemOptions([1], [0.0], lm.word_ids(["d", "c"]), [-0.1, -0.2]),  # the tagger leans to d
                     StemOptions([0], [0.0], [-1], [0.0])]
        [choice] = joint_decode(lm, [lm.word_ids(g.split()) for g in gaps], [positions], 1.0, 0.0)
        results[order] = choice[1][1]
    assert results == {3: 0, 4: 1}  # the trigram LM leaves the tagger's d; the 4-gram LM writes "x a b c"


@pytest.mark.parametrize("order", [3, 4])
def test_windows_searched_together_choose_as_they_would_alone_with_either_order(order):
    lm = build(CORPUS * 3 + [["he", "was", "born", "in", "it"]], min_word_count=1, min_ngram_count=1, order=order)
    gap_words = [lm.word_ids(g.split()) for g in GAPS]
    rng = np.random.default_rng(order)

    def random_window(length):
        return [StemOptions([0, 1, 2, 3], sorted(rng.normal(-2, 1, 4).tolist(), reverse=True),
                            lm.word_ids(["founded", "founds", "1990"]),
                            sorted(rng.normal(-1, 1, 3).tolist(), reverse=True))
                for _ in range(length)] + [StemOptions([0, 1], [-0.1, -3.0], [-1], [0.0])]

    windows = [random_window(n) for n in (5, 1, 0, 8, 3)]
    together = joint_decode(lm, gap_words, windows, 0.7, 1.0, beam=4)
    assert together == [joint_decode(lm, gap_words, [w], 0.7, 1.0, beam=4)[0] for w in windows]


@pytest.mark.parametrize("order", [3, 4])
def test_the_search_finds_the_best_path_that_trying_every_path_finds(order):
    # with a beam wider than the LM states there are, merging hypotheses that end alike loses nothing
    lm = build(CORPUS * 3 + [["he", "was", "born", "in", "it"], ["the", "founded", "was", "1990"]],
               min_word_count=1, min_ngram_count=1, order=order)
    gap_words = [lm.word_ids(g.split()) for g in GAPS]
    rng = np.random.default_rng(order)
    vocab = ["founded", "founds", "1990", "it", "he", "was"]
    for _ in range(6):
        window = [StemOptions(list(rng.permutation(4)[:n_gaps]), sorted(rng.normal(-2, 1, n_gaps).tolist())[::-1],
                              lm.word_ids(list(rng.permutation(vocab)[:n_words])),
                              sorted(rng.normal(-1, 1, n_words).tolist())[::-1])
                  for n_gaps, n_words in rng.integers(1, 4, size=(4, 2))]
        window.append(StemOptions([0, 1], [-0.2, -1.5], [-1], [0.0]))
        [found] = joint_decode(lm, gap_words, [window], 0.8, 0.5, beam=10_000)
        paths = itertools.product(*[[(g, k) for g in range(len(p.gap_ids)) for k in range(len(p.word_ids))]
                                    for p in window])
        assert found == list(max(paths, key=lambda path: path_score(lm, gap_words, window, path, 0.8, 0.5)))


def path_score(lm, gap_words, window, path, lm_weight, bonus) -> float:
    """One path's score as the search defines it: tagger log-probs + lm_weight * (LM log-score + bonus * words)."""
    score, written = 0.0, lm.word_ids(["<s>"]) * 3
    for position, (g, k) in zip(window, path):
        score += position.gap_log_probs[g] + position.word_log_probs[k]
        tokens = list(gap_words[position.gap_ids[g]]) + ([position.word_ids[k]] if position.word_ids[k] >= 0 else [])
        for token in tokens:
            t, u, v = written[-3:]
            score += lm_weight * (float(lm.log_probs(*(np.array([x]) for x in (t, u, v, token)))[0]) + bonus)
            written.append(token)
    return score


def test_a_strong_tagger_outvotes_a_weak_lm_weight():
    lm = build(CORPUS, min_word_count=1, min_ngram_count=1)
    gap_lps = [[-0.1, -3, -3, -3], [-0.01, -8.0, -9, -9], [-0.01, -9, -8.0, -9]]
    words = [[("it", 0.0)], [("founded", 0.0)], [("1990", 0.0)]]
    assert decode(lm, options(lm, gap_lps, words), weight=0.1) == [(0, 0), (0, 0), (0, 0), (0, 0)]


# ---------------------------------------------------------------- restoring with the LM

DOCS = ["The comet was discovered in 1852. It is named after the goddess of the dawn.",
        "Hagbard is a central protagonist of the trilogy. He died for love."]


@pytest.fixture()
def lm_restorer(toy_model_dir):
    from destem.restore.restorer import Restorer

    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu", precision="fp32")
    restorer.model.config.lm_weight, restorer.model.config.lm_word_bonus = 0.5, 2.0
    return restorer


def test_a_trained_model_folder_has_its_lm(toy_model_dir):
    lm = NgramLM.load(str(toy_model_dir))
    assert lm is not None and lm.order == 4 and {"the", "of", "in", "was"} <= set(lm.vocab)


def test_lm_weight_zero_restores_exactly_as_the_tagger_alone(lm_restorer):
    from destem.restore.restorer import Restorer
    from destem.text.forward import stem_text

    docs = [stem_text(d) for d in DOCS]
    lm_restorer.model.config.lm_weight = 0.0
    alone = Restorer(lm_restorer.model, lm_restorer.tokenizer, lm_restorer.lexicon, "cpu", lm_restorer.max_stems)
    assert lm_restorer.restore(docs) == alone.restore(docs)


def test_restoring_with_the_lm_keeps_the_round_trip_and_survives_save_and_load(lm_restorer, tmp_path):
    from destem.restore.restorer import Restorer
    from destem.text.forward import stem_text

    docs = [stem_text(d) for d in DOCS] + ["", "zzyzxq qwxv .", "лев давидович троцкий ."]
    results = lm_restorer.restore_documents(docs)
    assert all(r.roundtrip_ok and stem_text(r.text) == d for r, d in zip(results, docs))
    lm_restorer.save_pretrained(str(tmp_path / "copy"))
    again = Restorer.from_pretrained(str(tmp_path / "copy"), device="cpu", precision="fp32")
    assert again.model.config.lm_weight == 0.5
    assert again.restore(docs) == [r.text for r in results]


def test_calibrate_scores_the_grid_and_writes_the_best(toy_model_dir, mini_pairs, tmp_path, capsys):
    import json
    import shutil

    from destem.cli import main
    from destem.evaluation.bench import model_info

    model = tmp_path / "model"
    shutil.copytree(toy_model_dir, model)
    before = model_info(str(model))["id"]
    assert main(["calibrate", "--model", str(model), "--pairs", str(mini_pairs), "--windows", "4",
                 "--biases", "0,-1", "--lm-weights", "0,0.3", "--lm-bonuses", "2", "--device", "cpu", "--write"]) == 0
    table = capsys.readouterr().out.splitlines()
    rows = [list(map(float, line.split())) for line in table[1:5]]
    assert [row[:3] for row in rows] == [[0, 0, 2], [0, 0.3, 2], [-1, 0, 2], [-1, 0.3, 2]]
    best = max(rows, key=lambda row: row[3])
    config = json.loads((model / "config.json").read_text())
    assert [config["empty_gap_bias"], config["lm_weight"], config["lm_word_bonus"]] == best[:3]
    assert model_info(str(model))["id"] != before  # reports tell the decoding settings apart


def test_calibrating_lm_weights_without_an_lm_is_a_clear_error(toy_model_dir, mini_pairs, tmp_path, capsys):
    import shutil

    from destem.cli import main
    from destem.restore.ngram import NGRAM_FILE

    model = tmp_path / "model"
    shutil.copytree(toy_model_dir, model)
    (model / NGRAM_FILE).unlink()
    assert main(["calibrate", "--model", str(model), "--pairs", str(mini_pairs), "--lm-weights", "0.3"]) == 2
    assert "build-lm" in capsys.readouterr().err
    assert main(["data", "build-lm", "--pairs", str(mini_pairs), "--model", str(model), "--min-count", "1"]) == 0
    built = NgramLM.load(str(model))
    assert built.vocab == NgramLM.load(str(toy_model_dir)).vocab
    assert built.order == 4 and f"{len(built.fourgram_keys):,} 4-grams" in capsys.readouterr().err
    assert main(["data", "build-lm", "--pairs", str(mini_pairs), "--model", str(model), "--order", "3"]) == 0
    assert NgramLM.load(str(model)).order == 3 and "4-grams" not in capsys.readouterr().err


def test_build_lm_merges_pairs_into_the_models_lm(toy_model_dir, mini_pairs, tmp_path, capsys):
    import shutil

    from destem.cli import main
    from destem.restore.ngram import NGRAM_FILE

    model = tmp_path / "model"
    shutil.copytree(toy_model_dir, model)
    base = NgramLM.load(str(model))
    assert main(["data", "build-lm", "--pairs", str(mini_pairs), "--model", str(model), "--merge-share", "0.5"]) == 0
    merged = NgramLM.load(str(model))
    # the pairs are the toy model's own training text: the same words, each n-gram's count about doubled
    assert merged.vocab == base.vocab and merged.added == []
    assert merged.total == pytest.approx(2 * base.total, rel=0.02)
    assert main(["data", "build-lm", "--pairs", str(mini_pairs), "--model", str(model), "--merge-share", "1"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err
    (model / NGRAM_FILE).unlink()
    assert main(["data", "build-lm", "--pairs", str(mini_pairs), "--model", str(model), "--merge-share", "0.5"]) == 2
    assert "no ngram.npz to merge into" in capsys.readouterr().err
