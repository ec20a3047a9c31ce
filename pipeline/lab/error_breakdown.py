"""Where a model's errors are, on validation windows of built pairs (never the benchmark):

- gaps: how often the chosen function words are exactly the reference's, before and after the word
  LM's joint choice; where the reference gap ranks among the tagger's candidates the LM may choose
  from; how many gaps the LM changed, fixed and broke;
- forms: the same for word forms (lowercase), by kind of confusion (plural -s, -ed, -ing, other),
  and whether the reference form was among the LM's candidates.

    python -m destem.lab.error_breakdown --model models/default --pairs .cache/pairs-wiki --windows 1000
"""
import argparse
import random
from collections import Counter

from datasets import load_from_disk

from destem.restore.restorer import Restorer
from destem.text.forward import DEFAULT_PIPELINE


def form_confusion(reference: str, chosen: str) -> str:
    for one, other in ((reference, chosen), (chosen, reference)):
        if other in (one + "s", one + "es") or (one.endswith("y") and other == one[:-1] + "ies"):
            return "singular/plural"
    if reference.endswith("ed") or chosen.endswith("ed"):
        return "-ed"
    if reference.endswith("ing") or chosen.endswith("ing"):
        return "-ing"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--pairs", default=".cache/pairs-wiki")
    parser.add_argument("--windows", type=int, default=1000)
    args = parser.parse_args()

    restorer = Restorer.from_pretrained(args.model, device="cpu")
    decoding = restorer.decoding()
    if not restorer.uses_lm(decoding):
        raise SystemExit(f"{args.model}: no word LM in use (lm_weight 0 or no ngram.npz)")
    valid = load_from_disk(args.pairs)["validation"]
    records = [valid[i] for i in random.Random(1).sample(range(len(valid)), min(args.windows, len(valid)))]
    stems = [r["source"].split() for r in records]
    # the restorer's own steps, stopped before casing, so both choices can be compared per position
    predictions = restorer._tag_windows(stems, 8192, None, decoding.empty_gap_bias, True)
    drafted = [restorer._draft_window(s, p, True, True, DEFAULT_PIPELINE, s) for s, p in zip(stems, predictions)]
    tagger_alone = [([" ".join(g) for g in draft.gaps], list(draft.words)) for draft, _, _ in drafted]
    restorer._choose_with_lm([restorer._stem_options(p, forms) for p, (_, _, forms) in zip(predictions, drafted)],
                             drafted, decoding)

    label_of = {g: i for i, g in enumerate(restorer.model.config.gap_labels)}
    gaps, forms, kinds = Counter(), Counter(), Counter()
    for record, prediction, (draft, _, options), (alone_gaps, alone_words) in zip(records, predictions, drafted,
                                                                                 tagger_alone):
        for i, reference in enumerate([g.lower() for g in record["gaps"]] + [record["tail"].lower()]):
            alone, joint = alone_gaps[i].lower(), " ".join(draft.gaps[i]).lower()
            label = label_of.get(reference)
            rank = ("not a label" if label is None else
                    f"rank {prediction.top_gaps[i].index(label) + 1}" if label in prediction.top_gaps[i] else
                    f"below rank {len(prediction.top_gaps[i])}")
            gaps.update({"all": 1, rank: 1, "right, tagger alone": alone == reference,
                         "right, with the LM": joint == reference, "changed by the LM": alone != joint,
                         "fixed by the LM": alone != joint and joint == reference,
                         "broken by the LM": alone != joint and alone == reference})
        for i, word in enumerate(record["words"]):
            reference, alone, joint = word.lower(), alone_words[i], draft.words[i]
            forms.update({"all": 1, "right, tagger alone": alone == reference, "right, with the LM": joint == reference,
                          "among the LM's candidates": reference in (f for f, _ in options[i]),
                          "fixed by the LM": alone != joint and joint == reference,
                          "broken by the LM": alone != joint and alone == reference})
            if joint != reference:
                kinds[form_confusion(reference, joint)] += 1

    print(f"{args.model}, {len(records)} validation windows (seed 1)")
    for title, counts in (("gaps", gaps), ("word forms", forms)):
        print(f"\n{title}: {counts['all']:,}")
        for name, count in sorted(counts.items(), key=lambda kv: (kv[0].startswith("rank"), kv[0])):
            if name != "all":
                print(f"  {name:28s} {count:7,} {100 * count / counts['all']:5.1f}%")
    wrong = sum(kinds.values())
    print(f"\nwrong word forms with the LM: {wrong:,}")
    for kind, count in kinds.most_common():
        print(f"  {kind:28s} {count:7,} {100 * count / max(wrong, 1):5.1f}%")


if __name__ == "__main__":
    main()
