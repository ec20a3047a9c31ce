#!/usr/bin/env bash
# Step 4 of models/default (the path: data/recipes/default/README.md): its current weights and word
# 4-gram LM, on the 2-core CPU, from the
# GPU-continued weights (commit d579557: data/recipes/default/pack-for-gpu.sh + data/recipes/default/continue-on-gpu.sh).
# Continuing those weights on windows no GPU run had seen lowered validation loss but not BLEU; the
# average of the weights before and after (a model soup, pipeline/lab/average_weights.py) beat both.
# Needs the pairs of
#   destem data build --corpus '../shared/corpus/wiki-0*.txt.gz' --out .cache/pairs-wiki
set -euo pipefail
BASE=.cache/default-gpu  # models/default as of commit d579557
W=.cache/soup
mkdir -p "$BASE" "$W"
git archive d579557 models/default | tar -x --strip-components=2 -C "$BASE"
# 1. 60 minutes from the GPU-continued weights on windows 385,000 on (seed 0)
destem train --init "$BASE" --pairs .cache/pairs-wiki --config models/default/training/4-soup-R.json --out "$W/run-2"
# 2. their average with the start, then 50 more minutes from that average on the same windows (seed 1)
cp -r "$BASE" "$W/half"
python -m destem.lab.average_weights "$W/half/model.safetensors" "$BASE/model.safetensors" "$W/run-2/model.safetensors"
destem train --init "$W/half" --pairs .cache/pairs-wiki --config models/default/training/4-soup-T.json --out "$W/run-3"
# 3. the shipped weights: the average of the three ends (bf16)
python -m destem.lab.average_weights models/default/model.safetensors \
    "$BASE/model.safetensors" "$W/run-2/model.safetensors" "$W/run-3/model.safetensors"
cp "$W/run-2/log.jsonl" models/default/training/4-soup-R.log.jsonl
cp "$W/run-3/log.jsonl" models/default/training/4-soup-T.log.jsonl
destem data build-lm --pairs .cache/pairs-wiki --model models/default --order 4
destem calibrate --model models/default --pairs .cache/pairs-wiki --windows 2000 --biases=-1,-1.25 \
    --lm-weights 0.25,0.3,0.35 --lm-bonuses 2,2.5 --write
