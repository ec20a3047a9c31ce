#!/usr/bin/env bash
# How models/default got its current weights, word trigram LM and decoding settings, on the
# 2-core CPU, from the GPU-trained model (data/recipes/train-default-gpu.sh) and the pairs of
#   destem data build --corpus '../shared/corpus/wiki-0*.txt.gz' --out .cache/pairs-wiki
set -euo pipefail
RUN=${RUN:-.cache/run-cont}
# 100 minutes on the 344,333 training windows the GPU run never saw (it had the first 215,000)
destem train --init models/default --pairs .cache/pairs-wiki --config data/recipes/default-continue-cpu.json --out "$RUN"
# --init merges the new windows' word forms into the lexicon; these windows are already in it
cp models/default/lexicon.json.gz "$RUN/"
destem data build-lm --pairs .cache/pairs-wiki --model "$RUN"
destem calibrate --model "$RUN" --pairs .cache/pairs-wiki --biases=-1,-1.25 --lm-weights 0.25,0.3,0.35 --lm-bonuses 1.5,2,2.5 --write
# ship bf16 weights (half the size; restoring loads them as float32)
python -c "
import sys, torch
from pipeline.model import DestemTagger
DestemTagger.from_pretrained(sys.argv[1]).to(torch.bfloat16).save_pretrained(sys.argv[2])
" "$RUN" models/default
cp "$RUN"/{ngram.npz,lexicon.json.gz} models/default/
