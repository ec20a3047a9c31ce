#!/usr/bin/env bash
# Step 3 of models/default, and the next GPU run (data/recipes/default/README.md): continues its
# tagger on a lent GPU machine (no network there) on training windows its first GPU run never saw, from .gpu/carry (data/recipes/default/pack-for-gpu.sh). The call that runs
# this sets models/ and eval/ aside, so the code, the weights and the windows fit in its 64 MiB.
# Extra arguments go to `destem train` (a CPU check: --max-steps 3 --device cpu).
set -euo pipefail
C=.gpu/carry
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$C"/nltk-*.whl
export PYTHONPATH=/tmp/site:$PWD/$C/site:$PWD PYTHONUNBUFFERED=1
OUT=${OUT:-out}
mkdir -p "$OUT/model"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -m destem.lab.int8_weights unpack "$C/init-int8.safetensors" "$C/init/model.safetensors"
cp "$C"/init/{spiece.model,tokenizer.json,tokenizer_config.json,lexicon.npz} "$C/run/"
python3 -m destem.cli train --init "$C/init" --out "$C/run" --config "${CONFIG:?set CONFIG, e.g. models/default/training/3-continue-gpu.json}" "$@" 2>&1 \
  | tr '\r' '\n' | grep --line-buffered -v 'it/s\]$' | tee "$OUT/train.log" | grep --line-buffered -E 'valid_|model:|ref:|hyp:|step=|"|rror'
# bf16 weights in shards under 16 MB (what can travel back), plus the training log
python3 -c "
import sys, torch
from destem.model.tagger import Tagger
Tagger.from_pretrained(sys.argv[1]).to(torch.bfloat16).save_pretrained(sys.argv[2], max_shard_bytes=15_000_000)
" "$C/run" "$OUT/model"
cp "$C/run/log.jsonl" "$OUT/"
ls -la "$OUT" "$OUT/model"
