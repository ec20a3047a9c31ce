#!/usr/bin/env bash
# The CPU check of the slice route (data/recipes/default/README.md, "Next"), end to end on a small slice:
# pack-slice-for-gpu.sh with 20 documents into .gpu/check-carry; a copy of what the call would carry
# (the work tree without models/ and eval/, and the carry as .gpu/carry); train-slice-on-gpu.sh there for
# 3 steps on the CPU, with small batches and no call limit; a model folder of the weights it brings back
# (models/default with them), which Restorer loads and restores a paragraph with, round trip checked.
set -euo pipefail
CONFIG=${CONFIG:-data/recipes/default/next-gpu-slice.json}
CALL=${CALL:-/tmp/destem-slice-call}
MODEL=${MODEL:-.cache/slice-check-model}
rm -rf "$CALL" "$MODEL"
CARRY=.gpu/check-carry CONFIG=$CONFIG MAX_DOCUMENTS=${MAX_DOCUMENTS:-20} bash data/recipes/default/pack-slice-for-gpu.sh
mkdir -p "$CALL/tree/.gpu"
git ls-files -z --cached --others --exclude-standard | grep -z -v -E '^(models|eval)/' \
  | xargs -0 cp --parents -t "$CALL/tree"
cp -r .gpu/check-carry "$CALL/tree/.gpu/carry"
(cd "$CALL/tree" && env -u PYTHONPATH OUT="$CALL/out" CALL_SECONDS=3600 BATCH_TOKENS=4096 \
  bash data/recipes/default/train-slice-on-gpu.sh --max-steps 3 --device cpu)
python -m destem.training.corpus_slice assemble --weights "$CALL/out/model" --base models/default --out "$MODEL"
python - "$MODEL" <<'PY'
import sys
from destem.restore.restorer import Restorer
from destem.text.forward import stem_text
text = ("The committee was founded in 1948 by a group of scientists who wanted to study the effects of "
        "radiation on living cells. Its first report was published two years later.")
stems = stem_text(text)
restored = Restorer.from_pretrained(sys.argv[1], device="cpu").restore([stems])[0]
print(f"stems:    {stems}\nrestored: {restored}")
assert stem_text(restored) == stems, "the restored text does not stem back to its input"
print(f"round trip: ok; {sys.argv[1]} loads and restores")
PY
