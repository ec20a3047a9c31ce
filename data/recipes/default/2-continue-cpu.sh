#!/usr/bin/env bash
# Step 2 of models/default (the path: data/recipes/default/README.md): weights, word trigram LM and decoding settings, on the
# 2-core CPU, from the GPU-trained model (data/recipes/default/1-train-gpu.sh) and the pairs of
#   destem data build --corpus '../shared/corpus/wiki-0*.txt.gz' --out .cache/pairs-wiki
# The run was planned for 100 minutes on the 344,333 training windows the GPU run never saw (it had
# the first 215,000); the kernel's OOM killer stopped it after 65 minutes (see the model card), and
# its last checkpoint (step 311, 59.6 minutes) is what ships.
set -euo pipefail
RUN=${RUN:-.cache/run-cont}
destem train --init models/default --pairs .cache/pairs-wiki --config models/default/training/2-continue-cpu.json --out "$RUN"
# bf16 weights (half the size; restoring loads them as float32) with the run's config. The run's
# lexicon stays behind: --init merged in the windows' forms, which the default's lexicon already counts.
python -c "
import sys, torch
from destem.model.tagger import Tagger
Tagger.from_pretrained(sys.argv[1]).to(torch.bfloat16).save_pretrained(sys.argv[2])
" "$RUN" models/default
cp "$RUN/log.jsonl" models/default/training/2-continue-cpu.log.jsonl
destem data build-lm --pairs .cache/pairs-wiki --model models/default
destem calibrate --model models/default --pairs .cache/pairs-wiki --biases=-1,-1.25 --lm-weights 0,0.25,0.3,0.35 --lm-bonuses 2 --write
