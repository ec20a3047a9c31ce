#!/usr/bin/env bash
# Rebuild models/general (its model card: models/general/README.md) from the mix of build_mix.py and the
# pairs of the mix stemmed by destem's own pipeline (README.md here), on a 2-core CPU: about 7 hours with the
# second stage (stage2.sh).
#   MIX=.cache/general/mix.txt.gz PAIRS=.cache/general/pairs-destem bash data/recipes/general/build-model.sh
# The shipped run's first part was stopped at a checkpoint after 80.5 of its 95 minutes (step 2,528), then
# resumed with the budget at 150 minutes (step 5,206) and again at 255 (step 8,962); each resume stretches the
# cosine schedule, so the learning rate rises and decays again. A rerun through the same budgets differs a little.
set -euo pipefail
MIX=${MIX:-.cache/general/mix.txt.gz}
PAIRS=${PAIRS:-.cache/general/pairs-destem}
RUN=${RUN:-.cache/general/run}
# general.json keeps the default's word LM ("lm_corpus_share": 0); the lm step below merges the mix in
destem train --init default --corpus "$MIX" --config data/recipes/general/general.json --out "$RUN"
destem train --init default --config data/recipes/general/general.json --out "$RUN" --resume --max-minutes 150
destem train --init default --config data/recipes/general/general.json --out "$RUN" --resume --max-minutes 255
RUN=$RUN OUT=models/general PAIRS=$PAIRS LM_SHARE=0.4 bash data/recipes/general/evaluate.sh package lm calibrate
cp data/recipes/general/general.json models/general/training/general.json
cp "$RUN/log.jsonl" models/general/training/train.log.jsonl
# the stem profiles by which restore takes an input to this model or the default (by its register)
python data/recipes/general/stem_profiles.py --pairs "$PAIRS" --mix "$MIX" --default models/default --general models/general
# the second stage: more of the registers' text, averaged with this stage's weights
MIX=$MIX bash data/recipes/general/stage2.sh
