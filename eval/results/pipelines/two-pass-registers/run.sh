#!/usr/bin/env bash
# Punctuation-free input of other registers in one pass and in two: the first 200 paragraphs (20 words
# or more) of each held-out register set (data/recipes/registers/build.py --out .cache/registers) made
# isalpha input, restored by the general model alone, then re-read with its punctuation by the default
# (what restore's second pass does) and by the general model itself. Cased BLEU; round trips under isalpha.
#   bash eval/results/pipelines/two-pass-registers/run.sh .cache/registers > eval/results/pipelines/two-pass-registers/results.txt
set -euo pipefail
registers=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
done
