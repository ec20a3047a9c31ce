#!/usr/bin/env bash
# On a lent GPU machine (16 cores, no network), from .gpu/carry (data/recipes/default/pack-slice-for-gpu.sh):
# makes the slice's pairs and features on all cores, then continues the packed model on them for the
# config's minutes or what the call has left, whichever is less, and brings back bf16 weights in
# shards under 16 MB with the logs. The call that runs this sets models/ and eval/ aside (see
# data/recipes/default/README.md). Extra arguments go to `destem train`. A CPU check:
#   CALL_SECONDS=3600 BATCH_TOKENS=4096 bash data/recipes/default/train-slice-on-gpu.sh --max-steps 3 --device cpu
set -euo pipefail
START=$SECONDS
CALL_SECONDS=${CALL_SECONDS:-600}  # the call's limit
AFTER_SECONDS=${AFTER_SECONDS:-75}  # kept for the final validation, checkpoint, bf16 export and copies
BEFORE_SECONDS=${BEFORE_SECONDS:-45}  # what train takes before its clock starts (features, model, step-0 validation)
C=.gpu/carry
OUT=${OUT:-out}
mkdir -p "$OUT/model"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$C"/nltk-*.whl
export PYTHONPATH=/tmp/site:$PWD/$C/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -m destem.lab.int8_weights unpack "$C/init-int8.safetensors" "$C/init/model.safetensors" &
UNPACK=$!
python3 -m destem.training.corpus_slice build --carry "$C" --processes "${PROCESSES:-$(nproc)}" | tee "$OUT/build.json"
wait "$UNPACK"
cp "$C"/init/{spiece.model,tokenizer.json,tokenizer_config.json,lexicon.npz} "$C/run/"
TRAIN_CONFIG=$C/train.json
if [[ -n ${BATCH_TOKENS:-} ]]; then  # a CPU check: batches the CPU can take in seconds
  python3 -c "import json, sys; c = json.load(open(sys.argv[1])); c['batch_tokens'] = int(sys.argv[2]); print(json.dumps(c))" \
    "$TRAIN_CONFIG" "$BATCH_TOKENS" > "$C/train-check.json"
  TRAIN_CONFIG=$C/train-check.json
fi
LEFT=$(( CALL_SECONDS - AFTER_SECONDS - (SECONDS - START) ))
MINUTES=$(python3 -c "
import sys
from destem.training.config import load_config
print(round(max(0.5, min(load_config(sys.argv[1]).max_minutes or 1e9, (int(sys.argv[2]) - int(sys.argv[3])) / 60)), 2))
" "$TRAIN_CONFIG" "$LEFT" "$BEFORE_SECONDS")
echo "built in $(( SECONDS - START )) s; training for $MINUTES min (stopped at $LEFT s whatever happens)"
status=0
timeout -s TERM -k 60 "$LEFT" python3 -m destem.cli train --init "$C/init" --out "$C/run" --config "$TRAIN_CONFIG" \
    --max-minutes "$MINUTES" "$@" 2>&1 \
  | tr '\r' '\n' | grep --line-buffered -v 'it/s\]$' | tee "$OUT/train.log" \
  | grep --line-buffered -E 'valid_|model:|ref:|hyp:|step=|"|rror|nterrupted' || status=$?
# bf16 weights in shards under 16 MB (what can travel back) from the last checkpoint, plus the logs
python3 -c "
import sys, torch
from destem.model.tagger import Tagger
Tagger.from_pretrained(sys.argv[1]).to(torch.bfloat16).save_pretrained(sys.argv[2], max_shard_bytes=15_000_000)
" "$C/run" "$OUT/model"
cp "$C/run/log.jsonl" "$C/run/prepared.json" "$C/slice.json" "$OUT/"
echo "call: $(( SECONDS - START )) s; train exit status $status"
ls -la "$OUT" "$OUT/model"
