"""Build the R8 evaluation pairs: real pre-stemmed text from the wild and its all-terms reference.

Ana Cardoso-Cachopo's R8 subset of Reuters-21578 (one document a line, "label<TAB>text") comes in an
"all-terms" version (lowercase letters-only text, every word kept) and a "stemmed" version of the
same documents in the same order (words under 3 letters dropped, a stopword list removed, Porter
stems). No single public repository in reach holds both test files, so each comes from a pinned
commit of its own repository (fetched as bare git mirrors):

    python data/recipes/r8/build.py \
        --stemmed-git /work/.mirror/y3nk0+Graph-Based-TC/repo/.git \
        --all-terms-git /work/.mirror/Maryam-ask+NLP_PFAI_Assignment/repo

It checks both files' md5s, pairs the lines (the labels must agree line by line), keeps the first
150 test documents whose all-terms text has at least 40 words, and writes, without labels, one
document a line, gzipped with a fixed mtime (byte-identical on every run):

    eval/suites/data/r8/r8-test-150.stem.txt.gz        the stemmed documents (the input)
    eval/suites/data/r8/r8-test-150.all-terms.txt.gz   the matching all-terms lines (the reference)

Evaluation input and test fixtures only: never train on these.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import subprocess
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parents[3] / "eval" / "suites" / "data" / "r8"
N_DOCS = 150
MIN_WORDS = 40

# The stemmed test file: y3nk0/Graph-Based-TC (Konstantinos Skianis' graph-based text categorization
# code) committed it in 2e8e564 and later removed it; this commit still has it.
STEMMED = {"repo": "y3nk0/Graph-Based-TC", "commit": "2e8e56467d368b9e04d12108264f101fe4d6037c",
           "path": "data/reuters/r8-test-stemmed.txt", "md5": "92b899c5d26cef47a74431164e01e64c",
           "header": None}
# The all-terms test file: Maryam-ask/NLP_PFAI_Assignment, which added a "Class<TAB>Example" header line
# (dropped here; the rest, 2,189 lines, is the distribution's file). The other copy found,
# dhiru9599/Classification-of-news-articles-into-multiple-labels-by-use-of-Naive-Bayes-Algorithm
# (r8-test-all-terms.txt at 639a36c, md5 05267621ce30fef48f991a6c601e2c30), has no header but one
# edited word ("amatil" became "Amarillo" in line 5), so it is not used.
ALL_TERMS = {"repo": "Maryam-ask/NLP_PFAI_Assignment", "commit": "610a80e1ad7f6d5d7a071ef7ae1f58a089b8088d",
             "path": "r8-test-all-terms.txt", "md5": "42e2e6f8edba0daf9dac7b37898468ea",
             "header": "Class\tExample"}


def git_file(git_dir: str, source: dict) -> str:
    """The file at the pinned commit, its md5 checked."""
    data = subprocess.run(["git", "--git-dir", git_dir, "show", f"{source['commit']}:{source['path']}"],
                          check=True, capture_output=True).stdout
    md5 = hashlib.md5(data).hexdigest()
    if md5 != source["md5"]:
        raise SystemExit(f"{source['repo']} {source['path']}: md5 {md5}, expected {source['md5']}")
    return data.decode("ascii")


def split_lines(text: str, header: str | None) -> list[tuple[str, str]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if header is not None:
        if lines[0] != header:
            raise SystemExit(f"expected the header line {header!r}, found {lines[0][:40]!r}")
        lines = lines[1:]
    pairs = []
    for line in lines:
        label, doc = line.split("\t")
        pairs.append((label, doc.strip()))
    return pairs


def load_pairs(stemmed_git: str, all_terms_git: str) -> list[tuple[str, str, str]]:
    """(label, stemmed text, all-terms text) for every R8 test document, in the distribution's order."""
    stemmed = split_lines(git_file(stemmed_git, STEMMED), STEMMED["header"])
    all_terms = split_lines(git_file(all_terms_git, ALL_TERMS), ALL_TERMS["header"])
    if len(stemmed) != len(all_terms):
        raise SystemExit(f"{len(stemmed)} stemmed lines, {len(all_terms)} all-terms lines")
    out = []
    for i, ((label_s, stem), (label_a, full)) in enumerate(zip(stemmed, all_terms)):
        if label_s != label_a:
            raise SystemExit(f"line {i + 1}: labels {label_s!r} and {label_a!r} differ")
        out.append((label_s, stem, full))
    return out


def select(pairs: list[tuple[str, str, str]]) -> list[int]:
    """Indices of the first N_DOCS documents whose all-terms text has at least MIN_WORDS words."""
    chosen = [i for i, (_, stem, full) in enumerate(pairs) if len(full.split()) >= MIN_WORDS and stem]
    return chosen[:N_DOCS]


def write_gz(path: Path, lines: list[str]) -> None:
    data = "".join(line + "\n" for line in lines).encode("ascii")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=9) as f:
        f.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stemmed-git", required=True, help=f"git dir of a mirror of {STEMMED['repo']}")
    parser.add_argument("--all-terms-git", required=True, help=f"git dir of a mirror of {ALL_TERMS['repo']}")
    parser.add_argument("--out", default=str(OUT_DIR))
    args = parser.parse_args()
    pairs = load_pairs(args.stemmed_git, args.all_terms_git)
    chosen = select(pairs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_gz(out / "r8-test-150.stem.txt.gz", [pairs[i][1] for i in chosen])
    write_gz(out / "r8-test-150.all-terms.txt.gz", [pairs[i][2] for i in chosen])
    words = sum(len(pairs[i][2].split()) for i in chosen)
    stems = sum(len(pairs[i][1].split()) for i in chosen)
    print(f"{len(pairs)} test documents paired; kept {len(chosen)} (test lines {chosen[0] + 1}..{chosen[-1] + 1}), "
          f"{words} all-terms words, {stems} stems -> {out}")


if __name__ == "__main__":
    main()
