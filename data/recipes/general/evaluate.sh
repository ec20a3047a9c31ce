#!/usr/bin/env bash
# Package the general run as a model folder (bf16 weights, as models/default ships) and measure it as
# the published results say: the input pipelines bar, the registers, the benchmark. One step at a time:
# a 2-core machine times nothing well with two restores running.
#   RUN=.cache/general/run OUT=.cache/general/candidate bash data/recipes/general/evaluate.sh [STEP...]
# Steps: package lm calibrate pipelines registers benchmark (default: all, in that order). `lm` merges the
# mix's n-grams (stemmed by destem's own pipeline) into the LM at LM_SHARE, the share that did best with the
# shipped tagger (eval/results/lm-merge/). `calibrate` tunes the decoding settings for isalpha and letters-only
# input on 200 of the run's validation windows (text of the mix that it did not train on), stemmed by each.
set -euo pipefail
RUN=${RUN:-.cache/general/run}
OUT=${OUT:-.cache/general/candidate}
PAIRS=${PAIRS:-.cache/general/pairs-destem}
LM_SHARE=${LM_SHARE:-0.4}
RESULTS=${RESULTS:-eval/results/general}
STEPS=${*:-package lm calibrate pipelines registers benchmark}
mkdir -p "$RESULTS/calibrate"

for step in $STEPS; do
  case $step in
  package)
    mkdir -p "$OUT"
    python - "$RUN" "$OUT" <<'EOF'
import shutil, sys, torch
from destem.model.tagger import Tagger
run, out = sys.argv[1:]
Tagger.from_pretrained(run, dtype=torch.bfloat16).save_pretrained(out)
for name in ("lexicon.npz", "ngram.npz", "spiece.model", "tokenizer.json", "tokenizer_config.json"):
    shutil.copyfile(f"{run}/{name}", f"{out}/{name}")
EOF
    ;;
  lm)
    destem data build-lm --pairs "$PAIRS" --model "$OUT" --merge-share "$LM_SHARE"
    ;;
  calibrate)
    # isalpha's best settings are written; letters-only's are only reported: written, they cost R8 0.4 BLEU
    # (eval/results/general/README.md)
    destem calibrate --model "$OUT" --pairs "$RUN/pairs" --windows 200 --input isalpha --biases=-1,-2,-2.5 \
        --lm-weights 0.25,0.5 --write | tee "$RESULTS/calibrate/calibrate-isalpha.txt"
    destem calibrate --model "$OUT" --pairs "$RUN/pairs" --windows 200 --input letters --biases=-1,-2,-2.5 \
        --lm-weights 0.25,0.5 | tee "$RESULTS/calibrate/calibrate-letters.txt"
    ;;
  pipelines)
    python -m destem.lab.pipelines_bar --model "$OUT" --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz \
        --split validation --exclude eval/suites/data/wikitext2-test-detok.txt.gz --paragraphs 150 \
        --out "$RESULTS/pipelines"
    ;;
  registers)
    for r in wikipedia fiction speeches forum science howto news; do
      OMP_NUM_THREADS=2 destem eval --suite "registers-$r" --model "$OUT" --systems model --precision fp32 \
          --out "$RESULTS/registers/$r"
    done
    ;;
  benchmark)
    destem eval --suite wikitext2-test --model "$OUT" --systems model --precision fp32 --out "$RESULTS/wikitext2-test"
    ;;
  *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
