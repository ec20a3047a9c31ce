"""The `destem` command line: it only parses arguments and wires the pipeline's functions."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .textio import InputError

DESCRIPTION = """\
destem restores stemmed, stopword-stripped English (the output of NLTK's Punkt + Treebank
tokenizer, stopword removal and Porter stemmer) to readable English, and checks that
stemming the restoration gives back the input exactly."""


def cmd_stem(args) -> int:
    from .forward import stem_text
    from .textio import iter_input_lines, read_jsonl

    out = sys.stdout
    for path in args.files:
        if args.jsonl:
            for record in read_jsonl(path, args.text_key, args.errors):
                record[args.text_key] = stem_text(record[args.text_key])
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            for line in iter_input_lines([path], args.errors):
                out.write(stem_text(line) + "\n")
    return 0


def cmd_data_build(args) -> int:
    from .pairs import PairConfig, build_pairs

    start = time.time()
    config = PairConfig(max_stems=args.max_stems, valid_fraction=args.valid_fraction, seed=args.seed)
    splits = build_pairs(args.corpus, args.out, config, num_proc=args.num_proc)
    minutes = (time.time() - start) / 60
    counts = ", ".join(f"{name}: {len(ds):,} windows" for name, ds in splits.items())
    print(f"wrote {args.out} ({counts}) in {minutes:.1f} min", file=sys.stderr)
    return 0


def cmd_train(args) -> int:
    import dataclasses
    import tempfile

    from .config import load_config
    from .train import PREPARED_FILE, prepare_run, train

    config = load_config(args.config)
    overrides = {"max_steps": args.max_steps, "max_minutes": args.max_minutes}
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    prepared = os.path.exists(os.path.join(args.out, PREPARED_FILE))
    if not prepared:
        if args.pairs is None and not args.corpus:
            raise InputError("give --corpus PATH... or --pairs DIR (or --out a prepared run folder)")
        pairs_dir = args.pairs
        if pairs_dir is None:
            from .pairs import PairConfig, build_pairs

            pairs_dir = tempfile.mkdtemp(prefix="destem-pairs-")
            build_pairs(args.corpus, pairs_dir, PairConfig(max_stems=config.max_stems), num_proc=args.num_proc)
        info = prepare_run(args.out, pairs_dir, config, args.init)
        print(f"prepared {args.out}: {info['train_windows']:,} training windows "
              f"({info['train_stems']:,} stems), {info['validation_windows']:,} validation windows", file=sys.stderr)
    if args.prepare_only:
        return 0
    summary = train(args.out, config, init_dir=args.init, resume=args.resume, device_name=args.device)
    print(json.dumps(summary, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="destem", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    stem = sub.add_parser("stem", help="prose -> stems (the forward pipeline), one line per line",
                          description="Run the forward pipeline on each input line (or JSONL record) "
                                      "and write one stemmed line per input line, in order.")
    stem.add_argument("files", nargs="+", metavar="FILE", help="text files, or - for stdin")
    stem.add_argument("--jsonl", action="store_true", help="read and write JSONL records, keeping every other field")
    stem.add_argument("--text-key", default="text", help="JSONL field holding the text (default: text)")
    stem.add_argument("--errors", choices=["strict", "replace"], default="strict",
                      help="what to do with bytes that are not UTF-8 (default: strict, stop with an error)")
    stem.set_defaults(func=cmd_stem)

    data = sub.add_parser("data", help="build training pairs").add_subparsers(dest="data_command", required=True)
    build = data.add_parser("build", help="prose corpus -> aligned (stems, text) windows as a datasets folder",
                            description="Stem prose in the corpus format (# Title, ## Heading, a paragraph a line) "
                                        "or plain text, and save aligned windows with train/validation splits.")
    build.add_argument("--corpus", nargs="+", required=True, metavar="PATH",
                       help=".txt/.txt.gz files, globs or folders")
    build.add_argument("--out", required=True, help="output folder (datasets save_to_disk)")
    build.add_argument("--max-stems", type=int, default=96, help="window size limit in stems (default: 96)")
    build.add_argument("--valid-fraction", type=float, default=0.01, help="share of articles for validation")
    build.add_argument("--seed", type=int, default=0, help="seed of the article split")
    build.add_argument("--num-proc", type=int, default=2, help="worker processes (default: 2)")
    build.set_defaults(func=cmd_data_build)
    tr = sub.add_parser("train", help="train or fine-tune a restoration model",
                        description="Build pairs from prose (or take built pairs), prepare a run folder "
                                    "(tokenizer, label sets, lexicon, encoded features) and train. The run "
                                    "folder is a model folder that restore and eval take at any checkpoint.")
    tr.add_argument("--corpus", nargs="+", metavar="PATH", help="prose: .txt/.txt.gz files, globs or folders")
    tr.add_argument("--pairs", metavar="DIR", help="pairs built by `destem data build` instead of --corpus")
    tr.add_argument("--out", required=True, metavar="DIR", help="run folder (the trained model ends up here)")
    tr.add_argument("--config", default="cpu", help="cpu, gpu, toy, or a JSON file of overrides (default: cpu)")
    tr.add_argument("--init", metavar="DIR", help="fine-tune this model folder (keeps its tokenizer and labels)")
    tr.add_argument("--max-steps", type=int, help="stop after this many updates (overrides the config)")
    tr.add_argument("--max-minutes", type=float, help="stop after this many minutes (overrides the config)")
    tr.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    tr.add_argument("--prepare-only", action="store_true", help="prepare the run folder and stop")
    tr.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="default: auto (cuda if present)")
    tr.add_argument("--num-proc", type=int, default=2, help="worker processes for pair building")
    tr.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, FileNotFoundError) as e:
        print(f"destem: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("destem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
