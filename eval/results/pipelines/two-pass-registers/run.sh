#!/usr/bin/env bash
# Punctuation-free input of other registers in one pass and in two: the first 200 paragraphs (20 words
# or more) of each held-out register set (data/recipes/registers/build.py --out .cache/registers) made
# isalpha input, restored by the general model alone, then re-read with its punctuation by the default
# (what restore's second pass does) and by the general model itself. Cased BLEU; round trips under isalpha.
# Then how clearly each set, and each paragraph alone, reads as the default's register (`destem detect
# --json`'s register_lead, bits a stem; restore's second pass needs 0.1), and the same for the 150 held-out
# Wikipedia paragraphs of the pipeline bar (`python -m destem.lab.pipelines_bar`'s) and for R8.
# Both models installed; from the repository root, with the shared corpus at ../shared/corpus.
#   bash eval/results/pipelines/two-pass-registers/run.sh .cache/registers > eval/results/pipelines/two-pass-registers/results.txt
set -euo pipefail
registers=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

leads() {  # $1: a name; $2: a file of paragraphs, one a line, to make isalpha input of
  destem stem --pipeline isalpha "$2" > "$work/whole.txt"
  rm -rf "$work/each" && mkdir "$work/each" && split -l 1 -a 4 "$work/whole.txt" "$work/each/p"
  destem detect --json "$work/whole.txt" > "$work/whole.json"
  destem detect --json "$work"/each/p* > "$work/each.json"
  python - "$1" "$work/whole.json" "$work/each.json" <<'PY'
import json, sys
name, whole, each = sys.argv[1:]
[file] = [json.loads(line) for line in open(whole, encoding="utf-8")]
leads = [json.loads(line).get("register_lead") for line in open(each, encoding="utf-8")]
ahead = [lead for lead in leads if lead is not None and lead > 0]
print(f"{name}: the whole file's register_lead {file.get('register_lead')}; paragraphs alone: "
      f"{len(ahead)} of {len(leads)} read as the default's register (lead > 0), the largest lead "
      f"{max(ahead, default=None)}, {sum(lead >= 0.1 for lead in ahead)} with 0.1 or more")
PY
}

for register in fiction forum speeches science; do
  zcat "$registers/$register.heldout.txt.gz" | grep -v '^#' | awk 'NF >= 20 && n++ < 200' > "$work/ref.txt"
  destem stem --pipeline isalpha "$work/ref.txt" > "$work/in.txt"
  destem restore "$work/in.txt" -o "$work/general.txt" --force --model general --pipeline isalpha --precision fp32 2>/dev/null
  destem stem --pipeline destem "$work/general.txt" > "$work/punctuated.txt"
  for model in default general; do
    destem restore "$work/punctuated.txt" -o "$work/then-$model.txt" --force --model $model --pipeline destem \
      --precision fp32 2>/dev/null
  done
  python - "$work" "$register" <<'PY'
import sys
import sacrebleu
from destem.text.forward import PIPELINES
work, register = sys.argv[1:]
ref = open(f"{work}/ref.txt", encoding="utf-8").read().splitlines()
stems = open(f"{work}/in.txt", encoding="utf-8").read().splitlines()
for name, label in (("general", "general model, one pass"), ("then-default", "then re-read by the default"),
                    ("then-general", "then re-read by the general model")):
    out = open(f"{work}/{name}.txt", encoding="utf-8").read().splitlines()
    back = sum(PIPELINES["isalpha"].stem_text(o) == s for o, s in zip(out, stems))
    print(f"{register}: {label}: BLEU {sacrebleu.corpus_bleu(out, [ref]).score:.2f}; {back}/{len(stems)} stem back")
PY
  leads "$register" "$work/ref.txt"
done
python - "$work/wiki.txt" <<'PY'
import argparse, sys
from destem.lab.pipelines_bar import add_paragraph_options, chosen_paragraphs
parser = argparse.ArgumentParser()
add_paragraph_options(parser)
args = parser.parse_args(["--corpus", *(f"../shared/corpus/wiki-0{n}.txt.gz" for n in range(5)), "--split", "validation",
                          "--exclude", "eval/suites/data/wikitext2-test-detok.txt.gz", "--paragraphs", "150"])
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(chosen_paragraphs(args)[1]) + "\n")
PY
leads wikipedia "$work/wiki.txt"
zcat eval/suites/data/r8/r8-test-150.stem.txt.gz > "$work/r8.txt"
python -c "import json,sys; print('r8: register_lead', json.loads(sys.stdin.readline()).get('register_lead'))" \
  < <(destem detect --json "$work/r8.txt")
