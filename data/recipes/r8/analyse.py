"""Which stopword list and which Porter stemmer made Cachopo's R8 "stemmed" text (findings in
eval/suites/data/r8/README.md). Same arguments as build.py; prints a report.

  1. Align each stemmed line with its all-terms line (words of 3+ letters, Porter-stemmed) and count,
     per all-terms word, how often it has no stem in the stemmed line: the words always missing are the
     stopword list; words of a candidate list that come through are not on it.
  2. Rebuild every stemmed line from its all-terms line under each (stopword list, Porter mode) and
     count the lines reproduced exactly.
"""
from __future__ import annotations

import argparse
import collections
import difflib
import json
import sys
from pathlib import Path

from nltk.stem.porter import PorterStemmer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import load_pairs, select  # noqa: E402

from destem.text.forward import NLTK_127_STOPWORDS, STOPWORDS  # noqa: E402

LISTS_JSON = Path(__file__).resolve().parents[3] / "pipeline" / "text" / "stopword_lists.json"
MODES = {"nltk": PorterStemmer.NLTK_EXTENSIONS, "martin": PorterStemmer.MARTIN_EXTENSIONS,
         "original": PorterStemmer.ORIGINAL_ALGORITHM}


def stemmer(mode: str):
    p, cache = PorterStemmer(MODES[mode]), {}

    def stem(w: str) -> str:
        if w not in cache:
            cache[w] = p.stem(w)
        return cache[w]
    return stem


def rebuild(full: str, stops: frozenset[str], stem) -> str:
    return " ".join(stem(w) for w in full.split() if len(w) >= 3 and w not in stops)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stemmed-git", required=True)
    ap.add_argument("--all-terms-git", required=True)
    args = ap.parse_args()
    pairs = load_pairs(args.stemmed_git, args.all_terms_git)
    chosen = set(select(pairs))
    stems = {m: stemmer(m) for m in MODES}

    # 1. alignment: which words go missing (Martin's stems, the mode that reproduces most lines; a word
    # missing from 98% of its places or more counts as removed: the alignment misplaces a few)
    total, missing = collections.Counter(), collections.Counter()
    for _, stem_line, full in pairs:
        words = [w for w in full.split() if len(w) >= 3]
        ops = difflib.SequenceMatcher(None, [stems["martin"](w) for w in words], stem_line.split(),
                                      autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in ops:
            if tag == "replace" and i2 - i1 == j2 - j1:
                for i in range(i1, i2):
                    total[words[i]] += 1        # a different stem, not a missing word
                continue
            for i in range(i1, i2):
                total[words[i]] += 1
                if tag in ("delete", "replace"):
                    missing[words[i]] += 1
    always = {w for w in total if missing[w] >= 0.98 * total[w]}
    partly = {w: (missing[w], total[w]) for w in total if 0 < missing[w] < 0.98 * total[w]}
    lists = {name: frozenset(v["words"]) for name, v in json.loads(LISTS_JSON.read_text())["lists"].items()}
    lists = {"none": frozenset(), "nltk-127": NLTK_127_STOPWORDS, "nltk-179": STOPWORDS, **lists}
    smart = lists["smart"]
    print(f"{len(pairs)} documents; all-terms words of 3+ letters: {sum(total.values())} tokens, {len(total)} types")
    print(f"types removed (seen 3+ times): {sum(1 for w in always if total[w] >= 3)}; "
          f"sometimes missing: {len(partly)}")
    top = sorted((w for w in always if total[w] >= 3), key=lambda w: -total[w])
    print("most frequent removed words:", " ".join(f"{w}:{total[w]}" for w in top[:60]))
    off_smart = sorted(always - smart, key=lambda w: -total[w])
    print("removed, not on SMART:", " ".join(f"{w}:{total[w]}" for w in off_smart))
    partly_top = sorted(partly.items(), key=lambda x: -x[1][1])[:30]
    print("sometimes missing (missing/seen):", " ".join(f"{w}:{m}/{t}" for w, (m, t) in partly_top))
    for name, words in lists.items():
        seen = {w for w in words if len(w) >= 3 and w in total}
        kept = sorted(seen - always)
        print(f"list {name} ({len(words)} words): {len(seen)} of 3+ letters occur; removed {len(seen) - len(kept)}, "
              f"kept {len(kept)}: " + " ".join(f"{w}:{total[w]}" for w in kept))
    inferred = frozenset(w for w in smart if len(w) >= 3 and w in always) | frozenset(
        w for w in smart if len(w) >= 3 and w not in total)  # SMART less its words seen coming through
    lists["smart-less-kept"] = inferred

    # 2. exact reproduction
    print("exact reproduction, documents (all 2189 / the 150 eval documents):")
    for name, words in lists.items():
        row = []
        for mode, stem in stems.items():
            ok = [i for i, (_, s, f) in enumerate(pairs) if rebuild(f, words, stem) == s]
            row.append(f"{mode} {len(ok)} ({len(ok) / len(pairs):.1%}) / {len(chosen & set(ok))}")
        print(f"  {name:16s} " + "   ".join(row))
    best = lists["smart-less-kept"]
    for mode, stem in stems.items():
        bad = [(i, s, rebuild(f, best, stem)) for i, (_, s, f) in enumerate(pairs) if rebuild(f, best, stem) != s]
        diffs = collections.Counter()
        for _, s, r in bad:
            matcher = difflib.SequenceMatcher(None, r.split(), s.split(), autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag != "equal":
                    diffs[(" ".join(r.split()[i1:i2]), " ".join(s.split()[j1:j2]))] += 1
        print(f"  smart-less-kept/{mode}: {len(bad)} lines differ; commonest (ours -> file):",
              "; ".join(f"{a!r}->{b!r} x{n}" for (a, b), n in diffs.most_common(12)))


if __name__ == "__main__":
    main()
