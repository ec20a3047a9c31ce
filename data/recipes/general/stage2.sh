#!/usr/bin/env bash
# The second stage of models/general (its model card: models/general/README.md), after build-model.sh's first:
# 80 minutes from the first stage's model on a 3.8M-word mix of what the first mix did not take (more forum
# posts, novels' next 20,000 words, more speeches, science and Wikipedia), the mix's n-grams merged into the
# word LM at share 0.2, and the weights averaged with the first stage's (a model soup,
# pipeline/lab/average_weights.py): the soup beat both ends on the registers (eval/results/general/stage2/).
# On a 2-core CPU, about 2.5 hours (the destem-stemmed pairs for the LM take 48 minutes beside the training).
#   MIX=.cache/general/mix.txt.gz bash data/recipes/general/stage2.sh
set -euo pipefail
MIX=${MIX:-.cache/general/mix.txt.gz}
MIX2=${MIX2:-.cache/general/mix2.txt.gz}
PAIRS2=${PAIRS2:-.cache/general/pairs2-destem}
RUN2=${RUN2:-.cache/general/run2}
STAGE1=.cache/general/stage1
STAGE2=.cache/general/stage2
python data/recipes/general/build_mix.py --wiki ../shared/corpus/wiki-04.txt.gz --registers .cache/registers \
    --after "$MIX" --shares wikipedia:0.3,fiction:0.22,forum:0.25,speeches:0.1,science:0.08,howto:0.035,news:0.005 \
    --words 4000000 --out "$MIX2"
rm -rf "$STAGE1" && cp -r models/general "$STAGE1"
destem train --init "$STAGE1" --corpus "$MIX2" --config data/recipes/general/general-stage2.json --out "$RUN2" \
    --num-proc 2
destem data build --corpus "$MIX2" --out "$PAIRS2" --num-proc 1
RUN=$RUN2 OUT=$STAGE2 bash data/recipes/general/evaluate.sh package
destem data build-lm --pairs "$PAIRS2" --model "$STAGE2" --merge-share 0.2
python -m destem.lab.average_weights "$STAGE2/soup.safetensors" "$STAGE2/model.safetensors" "$STAGE1/model.safetensors"
mv "$STAGE2/soup.safetensors" "$STAGE2/model.safetensors"
for name in config.json lexicon.npz ngram.npz model.safetensors; do cp "$STAGE2/$name" "models/general/$name"; done
cp data/recipes/general/general-stage2.json models/general/training/general-stage2.json
cp "$RUN2/log.jsonl" models/general/training/train-stage2.log.jsonl
