#!/usr/bin/env python3
"""Check built register corpora against texts that must stay out of training (held-out sets).

For every document of every OUT/<register>.{train,heldout}.txt.gz, counts the word 8-grams
(lowercased words, punctuation ignored) that also occur in a reference text, and lists the documents
where more than --max-share of the 8-grams do (default 2%), or where any reference line of at least
12 words occurs verbatim. A clean build prints only the summary and exits 0; any hit exits 1.

References are given as NAME=SPEC, where SPEC is a file or glob of .txt/.txt.gz files, or
git:GITDIR:COMMIT:PATH-REGEX for files inside a git snapshot. Example (from the repository root):

    python data/recipes/registers/check_kept_out.py --corpora .cache/registers \\
        --ref "wikitext2-test=../shared/corpus/test/wikitext2-test-detok.txt.gz" \\
        --ref "sotu=git:mirrors/stdlib-js+datasets-sotu/repo:3fe128bad40ad366f8696b7ca25f825ca36869ef:data/.*\\.txt"
"""

from __future__ import annotations

import argparse
import glob
import gzip
import re
import subprocess
import sys
from pathlib import Path

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
N = 8


def words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("\u2019", "'"))


def grams(ws: list[str]) -> set[int]:
    return {hash(tuple(ws[i:i + N])) for i in range(len(ws) - N + 1)}


def read_spec(spec: str) -> list[str]:
    texts = []
    if spec.startswith("git:"):
        _, gitdir, commit, regex = spec.split(":", 3)
        names = subprocess.run(["git", f"--git-dir={gitdir}", "ls-tree", "-r", "--name-only", commit], check=True,
                               capture_output=True, text=True).stdout.split("\n")
        for name in sorted(n for n in names if re.fullmatch(regex, n)):
            texts.append(subprocess.run(["git", f"--git-dir={gitdir}", "show", f"{commit}:{name}"], check=True,
                                        capture_output=True).stdout.decode("utf-8", "replace"))
    else:
        for name in sorted(glob.glob(spec)):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(name, "rt", encoding="utf-8", errors="replace") as fh:
                texts.append(fh.read())
    if not texts:
        raise SystemExit(f"reference {spec!r} matched nothing")
    return texts


def docs(path: Path):
    title, lines = None, []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("# "):
                if title is not None:
                    yield title, lines
                title, lines = line[2:], []
            elif line and not line.startswith("## "):
                lines.append(line)
    if title is not None:
        yield title, lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=Path(".cache/registers"))
    ap.add_argument("--ref", action="append", default=[], help="NAME=SPEC (repeatable)")
    ap.add_argument("--max-share", type=float, default=0.02)
    args = ap.parse_args(argv)
    refs = {}
    for item in args.ref:
        name, spec = item.split("=", 1)
        texts = read_spec(spec)
        g: set[int] = set()
        lines: set[str] = set()
        for t in texts:
            g |= grams(words(t))
            for line in t.splitlines():
                ws = words(line)
                if len(ws) >= 12:
                    lines.add(" ".join(ws))
        refs[name] = (g, lines)
        print(f"reference {name}: {len(texts)} files, {len(g):,} distinct {N}-grams, {len(lines):,} long lines",
              file=sys.stderr)
    hits = 0
    for path in sorted(args.corpora.glob("*.txt.gz")):
        ndocs = 0
        worst = {n: 0.0 for n in refs}
        for title, lines in docs(path):
            ndocs += 1
            ws = words(" ".join(lines))
            dg = grams(ws)
            if not dg:
                continue
            for name, (g, rlines) in refs.items():
                share = len(dg & g) / len(dg)
                worst[name] = max(worst[name], share)
                same = [ln for ln in lines if " ".join(words(ln)) in rlines]
                if share > args.max_share or same:
                    hits += 1
                    print(f"HIT {path.name}: {title!r} shares {share:.1%} of its {N}-grams with {name}; "
                          f"{len(same)} identical long lines", file=sys.stdout)
        print(f"{path.name}: {ndocs} documents; highest {N}-gram share per reference: "
              + ", ".join(f"{n} {v:.2%}" for n, v in worst.items()), file=sys.stderr)
    print(f"{hits} documents over the limit", file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
