"""The `destem` command line: it only parses arguments and wires the pipeline's functions.

Each command is an `add_<command>` function that declares its arguments beside the `cmd_<command>`
that runs it; options that several commands share are declared once, in the helpers below.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from functools import cache

from .text.textio import InputError

DESCRIPTION = """\
destem restores stemmed, stopword-stripped English (the output of NLTK's Punkt + Treebank
tokenizer, stopword removal and Porter stemmer) to readable English, and checks that
stemming the restoration gives back the input exactly."""


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdecimal() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def probability(text: str) -> float:
    """An argparse type: a probability above 0 and at most 1."""
    try:
        p = float(text)
    except ValueError:
        p = -1.0
    if not 0 < p <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability above 0 and at most 1, not {text!r}")
    return p


def positive_float(text: str) -> float:
    """An argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, not {text!r}")
    return value


def add_command(sub, name: str, run):
    """A subcommand whose --help comes from `run`'s docstring: its first line, then the rest."""
    help_line, _, description = run.__doc__.partition("\n\n")
    parser = sub.add_parser(name, help=help_line.strip(), description=" ".join(description.split()) or None)
    parser.set_defaults(func=run)
    return parser


def model_folder(args) -> str:
    """The model folder: --model, else $DESTEM_MODEL, else the installed default (model.locate)."""
    from .model.locate import locate_model

    return locate_model(args.model)


# Options shared by several commands, declared once.


MODEL_HELP = ("model folder, or the name of an installed model (default: $DESTEM_MODEL, else the installed "
              "default model)")


def add_model_option(parser, required: bool = False,
                     help_text: str = MODEL_HELP) -> None:
    if required:
        parser.add_argument("--model", required=True, metavar="DIR", help="model folder")
    else:
        parser.add_argument("--model", metavar="DIR", help=help_text)


def add_device_option(parser) -> None:
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                        help="default: auto (cuda if present)")


def add_precision_option(parser, help_text: str = "the model's arithmetic, as `destem restore --precision` "
                                                    "(default: auto)") -> None:
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32", "int8"], default="auto", help=help_text)


def add_decoding_options(parser) -> None:
    """How the model restores: constraints on or off, and its batch size."""
    parser.add_argument("--no-constraints", action="store_true",
                        help="take the model's first choice even where it does not stem back (for comparison)")
    parser.add_argument("--batch-tokens", type=positive_int, metavar="N",
                        help="pieces per model batch (default: 2,048 on a CPU, 8,192 on a GPU)")


def add_jsonl_options(parser, text_help: str) -> None:
    parser.add_argument("--jsonl", action="store_true",
                        help="read and write JSONL records, keeping id and every other field")
    parser.add_argument("--text-key", default="text", help=f"JSONL field holding {text_help} (default: text)")


def add_errors_option(parser) -> None:
    parser.add_argument("--errors", choices=["strict", "replace"], default="strict",
                        help="bytes that are not UTF-8: strict refuses the file (default), "
                             "replace reads them as U+FFFD")


def add_corpus_option(parser, required: bool, what: str = ".txt/.txt.gz files, globs or folders") -> None:
    parser.add_argument("--corpus", nargs="+", required=required, metavar="PATH", help=what)


def add_pairs_option(parser, required: bool = True, help_suffix: str = "") -> None:
    parser.add_argument("--pairs", required=required, metavar="DIR",
                        help="pairs built by `destem data build`" + help_suffix)


def add_markdown_option(parser, help_text: str) -> None:
    parser.add_argument("--markdown", action="store_true", help=help_text)


# forward.PIPELINES' keys and forward.RESTORABLE_STEMMERS, here so that --help needs no import
PIPELINE_NAMES = ("destem", "snowball", "isalpha", "letters")
INPUT_STEMMERS = ("porter-nltk", "porter-martin", "snowball-english")
DEFAULT_CONTEXT_STEMS = 100_000  # words.DEFAULT_CONTEXT_STEMS, here for the same reason


def add_pipeline_option(parser, help_text: str, auto: bool = False) -> None:
    choices = ("auto", *PIPELINE_NAMES) if auto else PIPELINE_NAMES
    parser.add_argument("--pipeline", choices=choices, default=choices[0], help=help_text)
    parser.add_argument("--kept-stopwords", metavar="WORDS",
                        help="comma-separated stopwords of NLTK's list that the pipeline's own list keeps (e.g. "
                             "and,for,not): kept in the stems, restored as themselves")
    parser.add_argument("--stemmer", choices=INPUT_STEMMERS,
                        help="the pipeline's stems made by this stemmer instead (porter-martin: Porter with "
                             "Martin's extensions, \"dai\" of \"day\", as in the R8/R52 corpora)")


def pipeline_arg(args) -> str:
    """--pipeline, --stemmer and --kept-stopwords as one name of `forward.pipeline_named` ("auto" stays "auto")."""
    if not args.kept_stopwords and not args.stemmer:
        return args.pipeline
    if args.pipeline == "auto":
        raise InputError(f"{'--kept-stopwords' if args.kept_stopwords else '--stemmer'} needs --pipeline NAME")
    from .text.forward import pipeline_name, pipeline_named

    name = pipeline_name(args.pipeline, (args.kept_stopwords or "").split(","), args.stemmer)
    pipeline_named(name)  # refused here, in one line, if a word is no stopword
    return name


def add_stem(sub) -> None:
    p = add_command(sub, "stem", cmd_stem)
    p.add_argument("files", nargs="+", metavar="FILE", help="text files, or - for stdin")
    add_jsonl_options(p, "the text")
    add_errors_option(p)
    add_pipeline_option(p, "destem: Punkt + Treebank tokens, NLTK's 179 stopwords, NLTK's Porter (default); "
                           "snowball: the same with NLTK's Snowball English stemmer; isalpha: the tutorial line "
                           "(Treebank tokens, keep w.isalpha(), stopwords, Porter); letters: the letters-only recipe "
                           "(lowercase, runs of a-z, words under 3 letters dropped, stopwords, Porter)")


def cmd_stem(args) -> int:
    """prose -> stems (a forward pipeline), one line per line

    Run the forward pipeline (--pipeline) on each input line (or JSONL record) and write one stemmed line per input
    line, in order.
    """
    from .text.forward import pipeline_named
    from .text.textio import iter_input_lines, read_jsonl

    stem_text = pipeline_named(pipeline_arg(args)).stem_text

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


def add_restore(sub) -> None:
    p = add_command(sub, "restore", cmd_restore)
    p.add_argument("inputs", nargs="*", metavar="PATH",
                   help="stem files, - for stdin (the default), or folders (their .txt files, or .jsonl with "
                        "--jsonl, recursively; they need -o OUTDIR)")
    p.add_argument("-o", "--out", metavar="OUT",
                   help="output file for one input, or output folder (inputs mirrored under it; a name ending in / "
                        "is a folder even for one input); default: stdout")
    add_model_option(p, help_text=MODEL_HELP[:-1] + "; with neither and the general model installed, each file "
                     "goes to the model trained on its input pipeline and register, said on stderr; punctuation-free "
                     "encyclopedia prose is then re-read by the default with the punctuation the general model wrote)")
    add_jsonl_options(p, "the stems")
    p.add_argument("--output-key", default="restored", help="JSONL field for the restoration (default: restored)")
    add_markdown_option(p, "keep paragraphs and headings on their own lines; documents are then separated "
                           "by a blank line instead of one a line")
    add_decoding_options(p)
    add_device_option(p)
    add_precision_option(p, "the tagger's arithmetic: auto runs bf16 where it is faster (GPUs, CPUs with AMX), int8 "
                            "linear layers on other x86 CPUs (about 1.3x as fast as fp32, the same scores), fp32 "
                            "elsewhere; fp32 gives the same output on every CPU; the others differ from it in "
                            "near-ties (default: auto; the summary says which ran)")
    add_pipeline_option(p, "what made the input: auto (default) restores each input as the pipeline `destem detect` "
                           "finds in it where restoring supports that pipeline (destem's own, the same with "
                           "Snowball stems; where the model learned them, the isalpha line and the letters-only "
                           "recipe), and as the model's otherwise; a name: every input as that",
                        auto=True)
    p.add_argument("--force", action="store_true",
                   help="redo outputs that exist already (without it a rerun skips the finished ones, redoes those "
                        "whose input changed since, and keeps a file that is not its input's restoration)")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="restore with N processes, each with its own copy of the model and 1/N of the CPU "
                        "threads; the output is the same, but for a rare near-tie that bf16 or int8 breaks the other "
                        "way with fewer threads (default: 1, in this process)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: restore in this process, or in --workers processes (default); ray: restore on a "
                        "pool of Ray actors, on this machine or on the cluster at --ray-address, each loading the "
                        "model once; the output is the same when each actor has as many threads as one process, as "
                        "the default pool on one machine has (needs pip install -e \".[ray]\"; files and folders, "
                        "not stdin)")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="with --engine ray: the Ray cluster to join (its head's HOST:PORT, or auto); every node "
                        "needs destem installed and the model folder at the same path (default: start a Ray "
                        "cluster on this machine with as many CPUs as torch has threads, stopped at the end)")
    p.add_argument("--actors", type=positive_int, metavar="N",
                   help="with --engine ray: restoring actors (default: one per node of the cluster; with "
                        "--gpus-per-actor, as many as the cluster's GPUs hold); CPU actors share the cluster's "
                        "CPUs equally, as torch threads")
    p.add_argument("--gpus-per-actor", type=positive_float, default=0.0, metavar="G",
                   help="with --engine ray: GPUs per actor, which then restores on CUDA (0.5: two actors share "
                        "a GPU; default: 0, CPU actors)")
    add_errors_option(p)
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when any document does not round-trip (each is still written, with its best text, "
                        "and named on stderr with where its stems first differ); without it the count is in the "
                        "summary and the exit code is 0")
    p.add_argument("--explain", action="store_true",
                   help="write JSONL: per document, the text plain restore writes and, for every stem, the function "
                        "words put before it and the word written, each with the probability that it is right and "
                        "the alternatives weighed (with --jsonl, these fields join each record)")
    p.add_argument("--html", metavar="PAGE", help="also write the restorations as one self-contained HTML page, "
                   "shaded by confidence; hover or click a word for its stem and alternatives")
    p.add_argument("--mark-below", type=probability, metavar="P",
                   help="in the text written, show each word or gap less likely than P to be right as "
                        "[written|runner-up] (an empty gap as [_|runner-up]); such text no longer stems back")


def cmd_restore(args) -> int:
    """stems -> readable English, one document per input line

    Restore each input line (one stemmed document; or each JSONL record) to English, in order: one output
    document per input document, an empty line for an empty line. Outputs are written to a temporary file and
    renamed into place; a rerun skips finished outputs (unless --force). A summary goes to stderr at the end.
    """
    from .restore.ngram import prefetch

    if args.engine == "ray":
        from .restore.ray_engine import import_ray

        if not args.inputs or "-" in args.inputs:
            raise InputError("--engine ray restores files and folders, not stdin")
        if args.workers > 1:
            raise InputError("--engine ray and --workers do not combine; --actors N sets the number of restorers")
        if args.explain or args.html or args.mark_below is not None:
            raise InputError("--explain, --html and --mark-below restore in this machine's processes: "
                             "leave out --engine ray")
        import_ray()
    elif args.ray_address or args.actors or args.gpus_per_actor:
        raise InputError("--ray-address, --actors and --gpus-per-actor go with --engine ray")
    if args.explain and args.mark_below is not None:
        raise InputError("--mark-below marks the text output; --explain records the plain text with its probabilities")
    if args.workers == 1 and args.engine == "local":
        try:
            prefetch(model_folder(args))  # the LM is read while torch is imported
        except InputError:
            pass  # no such model: said once the inputs are checked, when the model is needed
    from .restore.batch import LocalEngine, RestoreOptions, restore_files

    if args.engine == "ray":
        from .restore.ray_engine import RayEngine, RayOptions

        engine = RayEngine(RayOptions(address=args.ray_address, actors=args.actors,
                                      gpus_per_actor=args.gpus_per_actor))
    else:
        engine = LocalEngine(workers=args.workers)
    options = RestoreOptions(model_dir=args.model, device=args.device, precision=args.precision, jsonl=args.jsonl,
                             text_key=args.text_key, output_key=args.output_key, markdown=args.markdown,
                             constrained=not args.no_constraints, batch_tokens=args.batch_tokens, force=args.force,
                             errors=args.errors, strict=args.strict, explain=args.explain, html=args.html,
                             mark_below=args.mark_below, pipeline=pipeline_arg(args))
    return restore_files(args.inputs or ["-"], args.out, options, engine)


def add_check(sub) -> None:
    p = add_command(sub, "check", cmd_check)
    p.add_argument("files", nargs="+", metavar="FILE", help="STEMS RESTORED, or RESTORED with --against STEMS")
    p.add_argument("--against", metavar="STEMS", help="the stems file (then give only RESTORED)")
    add_markdown_option(p, "RESTORED was written by restore --markdown")
    add_model_option(p, help_text="model folder whose config.json names the forward pipeline to check with "
                                  "(default: as for restore)")
    add_pipeline_option(p, "the forward pipeline that made STEMS: auto (default), the one restore reads STEMS as "
                           "(detected where sure, as restore does, and said; else the model's); or a name", auto=True)


def cmd_check(args) -> int:
    """reference-free round-trip check of stems against a restoration

    Stem each restored document and compare it with its input stems, document by document (line by line). Prints
    each mismatch (where the stems first differ, with context) and the totals; exit code 0 when every document
    round-trips, 1 otherwise.
    """
    from .text.check import check_files
    from .text.forward import pipeline_named

    if args.against is not None:
        if len(args.files) != 1:
            raise InputError("check RESTORED --against STEMS takes one RESTORED file")
        stems_path, restored_path = args.against, args.files[0]
    elif len(args.files) == 2:
        stems_path, restored_path = args.files
    else:
        raise InputError("check takes two files: STEMS RESTORED (or RESTORED --against STEMS)")
    name = pipeline_arg(args)
    pipeline = pipeline_named(name) if name != "auto" else checked_pipeline(stems_path, model_folder(args))
    report = check_files(stems_path, restored_path, args.markdown, pipeline)
    for mismatch in report.mismatches:
        print(mismatch.describe())
    print(report.summary())
    return 0 if report.ok else 1


def checked_pipeline(stems_path: str, model_dir: str):
    """--pipeline auto: the pipeline restore reads the stems as, where detect is as sure as restore must be to
    leave the model's (said on stderr); else the model's."""
    from .text.detect import detect_documents
    from .text.forward import PIPELINES, pipeline_flags, pipeline_named, pipeline_of_model
    from .text.textio import read_text, split_lines

    model = pipeline_of_model(model_dir)
    found = detect_documents(split_lines(read_text(stems_path)), expected=model)
    detected = found.restorable_as(model, tuple(PIPELINES))
    if detected is None or found.read_as_model(model):
        return model
    print(f"destem: {stems_path}: input made with {found.describe()} (detected, confidence {found.confidence:.2f}); "
          f"checked as such ({pipeline_flags(detected)})", file=sys.stderr)
    return pipeline_named(detected)


def add_words(sub) -> None:
    p = add_command(sub, "words", cmd_words)
    p.add_argument("file", nargs="?", default="-", metavar="FILE",
                   help="keyword lists, one a line (default: - for stdin)")
    p.add_argument("--context", metavar="CORPUS",
                   help="the stemmed corpus the terms came from: a file of one document a line, or a folder of "
                        ".txt files; each stem becomes the form the model weighs most there")
    p.add_argument("--context-stems", type=positive_int, default=DEFAULT_CONTEXT_STEMS, metavar="N",
                   help="restore at most N stems of the context: the model's windows (the shipped model's: up to 96 "
                        "stems) around the listed stems, first a share for each stem, then more for the stems whose "
                        "commonest form is still a close call; fewer when every form is clear (default: 100000, a "
                        "few minutes on a CPU)")
    p.add_argument("--top", type=positive_int, default=1, metavar="K",
                   help="show each stem's K most frequent forms with their shares (default: 1, the word alone)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object a line: each stem's word, source and forms")
    add_model_option(p)
    add_device_option(p)
    add_precision_option(p, "the model's arithmetic with --context, as `destem restore --precision` (default: auto)")
    add_errors_option(p)


def cmd_words(args) -> int:
    """keyword lists of stems -> words (topic model and keyword output)

    Each input line is a list of stems, separated by spaces or commas (`govern polit parti elect`); each stem
    becomes a word that stems back to it, and the separators and the line count stay as they are. Alone, the word
    is the lexicon's most frequent form, spelled as the lexicon spells it (proper nouns capitalized). With
    --context, the model restores windows of the corpus the terms came from around the listed stems (at most
    --context-stems stems: a share for each stem, then more for close calls between two forms), and each stem
    becomes the form used most there. A stem neither knows stays as it is, with a warning.
    """
    from .restore.words import STEM, choose_words, read_context, split_terms
    from .text.textio import read_text, split_lines

    lines = split_lines(read_text(args.file, args.errors))
    term_lists = [[term for term in split_terms(line)[::2] if term] for line in lines]
    stems = [term for terms in term_lists for term in terms]
    if args.context:
        from tqdm import tqdm

        from .restore.batch import RestoreOptions, load_restorer

        documents = read_context(args.context, args.errors)
        listed = set(stems)
        holding = sum(1 for d in documents if not listed.isdisjoint(d.split()))
        print(f"destem: restoring {holding:,} of {len(documents):,} context documents (those that hold a listed "
              f"stem) in part: windows around the listed stems, up to --context-stems {args.context_stems:,} "
              f"stems", file=sys.stderr)
        restorer = load_restorer(RestoreOptions(model_dir=model_folder(args), device=args.device,
                                                precision=args.precision))
        with tqdm(total=args.context_stems, unit=" stems", unit_scale=True, file=sys.stderr,
                  disable=None) as progress:
            sample = restorer.context_sample(term_lists, documents, args.context_stems, progress)
        print(f"destem: restored {sample.stems:,} stems: {len(sample.pieces):,} windows of {sample.documents:,} "
              f"document{'s' * (sample.documents != 1)}, in {sample.rounds} round{'s' * (sample.rounds != 1)}; "
              f"{len(sample.occurrences):,} of the {len(listed):,} listed stems occur in them, {sample.in_context:,} "
              f"in the context", file=sys.stderr)
        choices = iter(choose_words(stems, restorer.lexicon, sample.counts, args.top))
    else:  # the lexicon alone: no model, no torch
        from .restore.lexicon import Lexicon

        choices = iter(choose_words(stems, Lexicon.from_folder(model_folder(args)), top=args.top))
    unknown = []
    for line in lines:
        parts = split_terms(line)
        words = [next(choices) if term else None for term in parts[::2]]
        unknown += [w.stem for w in words if w is not None and w.source == STEM]
        parts[::2] = [format_word(w, args.top) if w else "" for w in words]
        if args.jsonl:
            print(json.dumps({"input": line, "output": "".join(parts), "words": [w.to_json() for w in words if w]},
                             ensure_ascii=False))
        else:
            print("".join(parts))
    if unknown:
        names = ", ".join(dict.fromkeys(unknown[:10])) + (", ..." if len(unknown) > 10 else "")
        print(f"destem: warning: {len(unknown):,} stems the lexicon does not know (and no context restored) were "
              f"kept as they are: {names}", file=sys.stderr)
    return 0


def format_word(choice, top: int) -> str:
    """The word, or with --top K above 1 the K forms with their shares: `government (62%; governments 21%)`."""
    if top == 1 or not choice.forms:
        return choice.word
    first, *rest = choice.forms
    shares = [f"{100 * first[1]:.0f}%"] + [f"{word} {100 * share:.0f}%" for word, share in rest]
    return f"{first[0]} ({'; '.join(shares)})"


def add_detect(sub) -> None:
    p = add_command(sub, "detect", cmd_detect)
    p.add_argument("files", nargs="+", metavar="FILE", help="stemmed (or plain) text files, or - for stdin")
    p.add_argument("--json", action="store_true", help="one JSON object per file: stemmer, stopwords, lowercased, "
                                                       "tokens, punctuation, numbers, short_words (kept, dropped "
                                                       "or unknown), stopwords_kept (with an unknown list), "
                                                       "matches_model, restorable_as, losses, confidence (the "
                                                       "lower of stemmer_confidence and stopwords_confidence), "
                                                       "evidence; and register, register_model where restore "
                                                       "takes the file to the general model by its register; "
                                                       "read_with_files where a file too short to tell is read "
                                                       "as all the files together; for punctuation-free input "
                                                       "the general model restores, register_lead (bits a stem "
                                                       "it reads better as the default's register), and "
                                                       "second_pass_model where the default re-reads it")
    add_model_option(p, help_text="model whose pipeline matches_model compares with (default: as for restore); "
                                  "only its config.json and stem_profile.npz are read")
    add_errors_option(p)


def cmd_detect(args) -> int:
    """which forward pipeline made a stemmed input

    Tell, from the tokens alone, which stemmer (porter-nltk, porter-martin, porter-original, snowball-english,
    lancaster, wordnet-lemmas, or none), which stopword list (nltk-179, which on Treebank tokens is also the
    153-word list; nltk-127; gensim; smart; sklearn; spacy; none; or unknown, with the listed words still in
    the text), whether punctuation, numbers and 1-2-letter words were dropped and whether lowercasing made each
    input, and whether that is the pipeline the model inverts, or one restore handles, or what restoring it
    cannot bring back. The tells (`quickli` vs `quick`, `dai` vs `day`, `'` for `'s`, `won` kept, stopwords
    left in, capitals, Treebank quotes, punctuation, digits, short words) are counted over the first 20,000
    tokens and listed with their counts. With no model asked for and the general model installed, it also
    names an input's register where only the general model was trained on it (fiction, forum, speeches,
    science, how-to, news: told by stem frequencies): restore takes such input to that model; and where
    punctuation-free input reads clearly as the default's register, that the default re-reads the general
    model's restoration of it (a second pass). A file too
    short to show its own pipeline (a paragraph) is read as all the files given read together, where they
    are sure of it and the file shows nothing against it, as restore reads a folder of such files.
    """
    from .model.locate import DEFAULT_MODEL, GENERAL_MODEL, model_asked_for, other_installed_general
    from .model.stem_profile import ModelRegisters
    from .restore.two_pass import register_lead, takes_second_pass
    from .text.detect import Detection, detect_documents
    from .text.forward import model_inputs, pipeline_flags, pipeline_named, pipeline_of_model
    from .text.textio import read_text, split_lines

    folder = model_folder(args)
    model, inputs = pipeline_of_model(folder), model_inputs(folder)
    general = None if model_asked_for(args.model) else other_installed_general(folder)
    general_reads = (pipeline_of_model(general), model_inputs(general)) if general else None
    registers = ModelRegisters.of(folder, general)
    files = [path for path in args.files if path != "-"]  # standard input is read once

    @cache
    def together() -> Detection | None:
        """What the files read as together (restore reads a file too short to show its own pipeline so); read
        only where a file needs it. A file that cannot be read is named when its turn comes."""
        def documents() -> Iterator[str]:
            for path in files:
                try:
                    yield from split_lines(read_text(path, args.errors))
                except InputError:
                    continue
        return detect_documents(documents(), expected=model) if len(files) > 1 else None

    empty = 0
    for path in args.files:
        documents = split_lines(read_text(path, args.errors))
        alone = found = detect_documents(documents, expected=model)
        if not found.tokens_read:
            print(f"destem: warning: {path}: no stems in it, so no pipeline to tell", file=sys.stderr)
            empty += 1
            continue
        if found.unsure and found.fits(together()):
            found = together()
        restorable = found.restorable_as(model, inputs)
        by_general = not restorable and general_reads is not None and found.restorable_as(*general_reads)
        reading = None if by_general or registers is None else registers.other_register(documents)
        lead = register_lead(documents, pipeline_named(by_general), model, inputs, registers) if by_general else None
        if args.json:
            register = {} if reading is None else {"register": reading.register, "register_model": GENERAL_MODEL}
            read_with = {} if found is alone else {"read_with_files": len(files)}
            second = ({} if lead is None else {"register_lead": round(lead, 3)}) | (
                {"second_pass_model": DEFAULT_MODEL} if takes_second_pass(lead) else {})
            general_model = {} if not by_general else {  # as the text says: restore takes it to the general model
                "restorable_as": by_general, "restore_model": GENERAL_MODEL, "losses": found.losses(*general_reads)}
            print(json.dumps({"file": path} | found.to_json(model, inputs) | general_model | register | read_with
                             | second, ensure_ascii=False))
            continue
        verdict = ("the model's pipeline" if found.matches(model) else
                   f"restore handles it ({pipeline_flags(restorable)})" if restorable else
                   f"not the default model's; restore takes it to the installed model '{GENERAL_MODEL}' "
                   f"({pipeline_flags(by_general)})" if by_general else
                   f"not the model's ({model.describe()})")
        if takes_second_pass(lead):
            verdict += (f", and as it reads as the default's register ({lead:.2f} bits a stem ahead), the model "
                        f"'{DEFAULT_MODEL}' re-reads that restoration (a second pass)")
        # describe() says "not lowercased" where it is not
        print(f"{path}: {found.describe()}{', lowercased' if found.lowercased else ''}; {verdict}; "
              f"confidence {found.confidence:.2f} (stemmer {found.stemmer_confidence:.2f}, stopword list "
              f"{found.stopwords_confidence:.2f}) over {found.tokens_read:,} tokens")
        print(f"  punctuation {found.punctuation}, numbers {found.numbers}, short words {found.short_words}")
        if found is not alone:
            others = "the other file" if len(files) == 2 else f"the other {len(files) - 1:,} files"
            print(f"  read with {others}: alone, {alone.tokens_read:,} tokens read as "
                  f"{alone.describe()} (confidence {alone.confidence:.2f}); restore reads it as they are together")
        if reading is not None:
            print(f"  register: {reading.describe()}: restore takes it to the installed model '{GENERAL_MODEL}'")
        losses = found.losses(*general_reads) if by_general else found.losses(model, inputs)
        for loss in losses:
            print(f"  restoring: {loss}")
        for tell, count in found.evidence.items():
            print(f"  {count:>7,}  {tell}")
    return 1 if empty == len(args.files) else 0


def add_eval(sub) -> None:
    p = add_command(sub, "eval", cmd_eval)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--prose", nargs="+", metavar="PATH", help=".txt/.txt.gz files, globs or folders")
    what.add_argument("--suite", metavar="NAME", help="a ready suite: eval/suites/NAME.toml of the destem checkout "
                                                     "the command runs in (e.g. wikitext2-test), or a suite file")
    add_model_option(p)
    p.add_argument("--systems", metavar="LIST", help="comma list of identity, lexicon, model (default: all, "
                                                     "or the suite's)")
    p.add_argument("--limit-words", type=int, metavar="N", help="whole documents in order until N words")
    add_decoding_options(p)
    add_device_option(p)
    add_precision_option(p, "the model's arithmetic, as `destem restore --precision` (default: auto; the report "
                            "says which ran)")
    p.add_argument("--out", metavar="DIR", help="report folder (default: the suite's; needed with --prose)")


def cmd_eval(args) -> int:
    """score restoration systems against reference prose

    Stem prose (corpus format or plain text) with the forward pipeline, restore it with each system, and score
    every system on the same documents, whole and in windows: BLEU, chrF++, TER, WER, content and function
    words, casing, spacing, round trip, speed and memory. Writes report.json, report.md, two charts and each
    system's texts (one document a line) to the output folder.
    """
    from .evaluation.evaluate import SYSTEMS, EvalOptions, evaluate, load_suite, report_table

    suite = load_suite(args.suite) if args.suite else None
    out = args.out or (suite.out if suite else None)
    if out is None:
        raise InputError("give --out DIR for the report")
    systems = args.systems.split(",") if args.systems else (suite.systems if suite else list(SYSTEMS))
    options = EvalOptions(prose=suite.data if suite else args.prose, out=out,
                          systems=[s.strip() for s in systems if s.strip()],
                          model_dir=model_folder(args),
                          limit_words=args.limit_words if args.limit_words is not None else (
                              suite.limit_words if suite else None),
                          constrained=not args.no_constraints, batch_tokens=args.batch_tokens,
                          device=args.device, precision=args.precision, suite=suite.name if suite else None)
    report = evaluate(options)
    print(report_table(report))
    print(f"wrote {os.path.join(out, 'report.md')} and report.json in {report['seconds'] / 60:.1f} min",
          file=sys.stderr)
    return 0


def add_bench(sub) -> None:
    p = add_command(sub, "bench", cmd_bench)
    add_model_option(p)
    p.add_argument("--text", nargs="+", metavar="PATH", help="prose to stem (default: the wikitext2-test suite's)")
    p.add_argument("--sizes", default="1000,10000,100000", metavar="LIST", help="input sizes in stems")
    p.add_argument("--batch-tokens", default="2048,8192,32768", metavar="LIST", help="pieces per model batch")
    p.add_argument("--device", default="auto", help="auto (CPU, and the GPU if present), cpu, cuda or cpu,cuda")
    p.add_argument("--precision", default="auto", metavar="LIST",
                   help="comma list of auto, bf16, fp32, int8: each is benched (default: auto, as restore runs)")
    p.add_argument("--startup-runs", type=int, default=3, metavar="N",
                   help="start-up rows, best of N fresh processes each, taking turns: the bare torch+transformers "
                        "and torch imports, a one-line restore, and a whole file restore (default: 3; 0 skips them)")
    p.add_argument("--startup-stems", type=positive_int, default=4000, metavar="N",
                   help="stems in the file of the whole-command row (default: 4000)")
    p.add_argument("--out", metavar="FILE.json", help="also save the results here")


def cmd_bench(args) -> int:
    """restore throughput and peak memory over batch and input sizes

    Restore stemmed prose of fixed sizes (stems of the text, repeated as needed) with the model at each batch
    size on each device; print stems/s and peak RSS as a table, and save them with the machine and versions as
    JSON.
    """
    import tempfile

    from .evaluation import bench
    from .evaluation.evaluate import load_suite

    text = args.text or load_suite("wikitext2-test").data
    model_dir = model_folder(args)
    result = bench.run_bench(model_dir, text, bench.parse_counts(args.sizes, "--sizes"),
                             bench.parse_counts(args.batch_tokens, "--batch-tokens"),
                             bench.resolve_devices(args.device), precisions=bench.parse_precisions(args.precision))
    print(bench.bench_table(result))
    if args.startup_runs > 0:
        with tempfile.TemporaryDirectory() as work:
            result["startup"] = bench.run_startup_bench(model_dir, text, args.startup_stems, args.startup_runs, work)
        print(bench.startup_table(result["startup"]))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def add_calibrate(sub) -> None:
    p = add_command(sub, "calibrate", cmd_calibrate)
    add_model_option(p, required=True)
    add_pairs_option(p, required=False, help_suffix=" (their validation windows are scored)")
    add_corpus_option(p, required=False, what="with --confidence, instead of --pairs: prose files whose held-out "
                                              "articles (the 1%% that pair building keeps for validation) are scored")
    p.add_argument("--windows", type=int, default=400, help="validation windows to score (default: 400)")
    p.add_argument("--biases", metavar="LIST", help="comma-separated empty-gap biases, e.g. 0,-0.5,-1 "
                   "(write --biases=-1,-1.5 when the list starts with a minus)")
    p.add_argument("--lm-weights", metavar="LIST", help="comma-separated LM weights, e.g. 0,0.2,0.3")
    p.add_argument("--lm-bonuses", metavar="LIST", help="comma-separated LM word bonuses, e.g. 1,2,3")
    p.add_argument("--input", choices=["isalpha", "letters"], metavar="NAME",
                   help="tune the settings for input of another pipeline the model was trained on (isalpha, "
                        "letters): the windows are stemmed by it, and --write stores them for that input alone")
    p.add_argument("--confidence", action="store_true",
                   help="fit the probabilities of --explain instead: per head (gaps, words) a temperature and a "
                        "'none of these' score, on half of the windows' articles; report the expected calibration "
                        "error on the other half before and after")
    p.add_argument("--write", action="store_true", help="store the best settings in the model folder")
    add_device_option(p)
    add_precision_option(p)


def cmd_calibrate(args) -> int:
    """tune a model's decoding settings, or its confidences, on validation windows

    Restore validation windows of built pairs with every combination of the given decoding settings and report
    BLEU; --write stores the best in the model's config.json. A setting not given keeps the model's value.
    empty_gap_bias: added to the 'no function words' gap logit; lm_weight and lm_word_bonus: how much the word
    n-gram LM (ngram.npz) counts, and its score per word written (0 weight: the tagger alone). The windows' text
    is stemmed by destem's pipeline, or with --input by that one, and the settings are then those restore uses
    for such input.
    With --confidence: fit the probabilities that `restore --explain` reports so that they read as the chance of
    being right (on --pairs validation windows, or on the held-out articles of --corpus prose).
    """
    from .restore.restorer import Restorer

    if args.confidence:
        return calibrate_confidence(args)
    if args.pairs is None:
        raise InputError("give --pairs DIR (built by `destem data build`) to score decoding settings")
    from .evaluation.calibrate import score_settings, validation_texts, write_settings
    from .restore.restorer import DECODING_SETTINGS
    from .text.forward import PIPELINES

    restorer = Restorer.from_pretrained(args.model, device=args.device, precision=args.precision)
    pipeline = PIPELINES[args.input or "destem"]
    if args.input and args.input not in restorer.model.config.inputs:
        raise InputError(f"{args.model} was not trained on {args.input} input (its inputs: "
                         f"{', '.join(restorer.model.config.inputs)})")
    given = dict(zip(DECODING_SETTINGS, (args.biases, args.lm_weights, args.lm_bonuses)))
    if restorer.lm is None and (args.lm_weights or args.lm_bonuses):
        raise InputError(f"{args.model} has no language model (ngram.npz): build one with `destem data build-lm`")
    decoding = restorer.decoding(pipeline)
    grid = {name: [float(v) for v in values.split(",")] if values else [getattr(decoding, name)]
            for name, values in given.items()}
    # the windows' text stemmed here, by the input's pipeline: pairs of a model trained on several inputs hold
    # each document stemmed by one of them
    references = validation_texts(args.pairs, args.windows)
    sources = [pipeline.stem_text(reference) for reference in references]
    rows = score_settings(restorer, sources, references, grid, args.input)
    print("  ".join(f"{name:>14}" for name in grid) + f"  {'BLEU':>6}  {'length ratio':>12}   "
          f"({len(sources)} validation windows)")
    for row in rows:
        print("  ".join(f"{row[name]:>14.2f}" for name in grid)
              + f"  {row['bleu']:>6.2f}  {row['length_ratio']:>12.3f}")
    best_row = max(rows, key=lambda row: row["bleu"])
    best = {name: best_row[name] for name in grid}
    if args.write:
        write_settings(args.model, best, args.input)
        print(f"wrote {', '.join(f'{k}={v}' for k, v in best.items())} to {args.model}/config.json"
              + (f" for {args.input} input" if args.input else ""))
    return 0


def calibrate_confidence(args) -> int:
    """`destem calibrate --confidence`: fit on half the articles, report on the other half."""
    from .evaluation.calibrate import (
        calibration_errors,
        explain_windows,
        fit_confidence,
        held_out_windows,
        observe_confidence,
        split_by_article,
        validation_records,
        write_confidence_calibration,
    )
    from .restore.confidence import ConfidenceCalibration
    from .restore.restorer import Restorer

    if (args.pairs is None) == (args.corpus is None):
        raise InputError("--confidence needs windows with their original text: give --pairs DIR or --corpus PATH...")
    records = (validation_records(args.pairs, args.windows) if args.pairs
               else held_out_windows(args.corpus, args.windows))
    fit_records, check_records = split_by_article(records)
    restorer = Restorer.from_pretrained(args.model, device=args.device, precision=args.precision)
    before = calibration_errors(observe_confidence(explain_windows(restorer, check_records), check_records))
    restorer.calibration = ConfidenceCalibration()
    fitted_on = (f"{len(fit_records)} windows of {len({r['article'] for r in fit_records})} held-out articles of "
                 + (args.pairs if args.pairs else ", ".join(args.corpus)))
    calibration = fit_confidence(observe_confidence(explain_windows(restorer, fit_records), fit_records), fitted_on)
    restorer.calibration = calibration
    after = calibration_errors(observe_confidence(explain_windows(restorer, check_records), check_records))
    print(f"fitted on {fitted_on}; checked on the other {len(check_records)} windows "
          f"({len({r['article'] for r in check_records})} articles)")
    print(f"{'head':>5}  {'temperature':>11}  {'none of these':>13}  {'right':>6}  "
          f"{'ECE before':>10}  {'ECE after':>9}")
    for head in ("gap", "word"):
        fitted = getattr(calibration, head)
        print(f"{head:>5}  {fitted.temperature:>11.3f}  {fitted.other:>13.2f}  {after[head]['accuracy']:>6.3f}  "
              f"{before[head]['ece']:>10.4f}  {after[head]['ece']:>9.4f}")
    if args.write:
        write_confidence_calibration(args.model, calibration)
        print(f"wrote confidence_calibration to {args.model}/config.json")
    return 0


def add_train(sub) -> None:
    p = add_command(sub, "train", cmd_train)
    add_corpus_option(p, required=False, what="prose: .txt/.txt.gz files (corpus format or plain text), folders or "
                                              "globs of them, .jsonl files, or a `datasets` dataset saved to disk")
    p.add_argument("--text-key", default="text", help="text field of JSONL records and datasets (default: text)")
    p.add_argument("--hub-dataset", metavar="NAME",
                   help="also train on this hub dataset's train split (needs a network)")
    add_pairs_option(p, required=False, help_suffix=" instead of --corpus")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder (the trained model ends up here)")
    p.add_argument("--config", help="cpu, gpu, finetune, toy, or a JSON file of overrides (default: finetune "
                                     "with --init, else cpu)")
    p.add_argument("--init", metavar="MODEL",
                   help="fine-tune this model (a folder or an installed model's name, e.g. default): its tokenizer, "
                        "labels and word LM are kept, its lexicon extended")
    p.add_argument("--max-steps", type=int,
                   help="train this many steps; alone, it replaces the config's minutes budget")
    p.add_argument("--max-minutes", type=float, help="stop after this many minutes (overrides the config)")
    p.add_argument("--max-cpu-minutes", type=float,
                   help="stop after this many CPU minutes of the training process (fair on a shared machine); "
                        "alone, it replaces the config's minutes budget")
    p.add_argument("--save-every-steps", type=int, metavar="N",
                   help="also checkpoint every N steps (checkpoints are taken by the clock too, and at the end)")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    p.add_argument("--prepare-only", action="store_true", help="prepare the run folder and stop")
    add_device_option(p)
    p.add_argument("--num-proc", type=int, default=2, help="worker processes for pair building")


def cmd_train(args) -> int:
    """train or fine-tune a restoration model

    Build pairs from prose (or take built pairs), prepare a run folder (tokenizer, label sets, lexicon, encoded
    features) and train. The run folder is a model folder that restore and eval take at any checkpoint.
    """

    import dataclasses

    from .training import distributed
    from .training.config import load_config, with_budget
    from .training.train import PREPARED_FILE, fine_tuning_config, prepare_run, train

    if args.init:
        from .model.locate import locate_model

        args.init = locate_model(args.init)
    config = load_config(args.config or ("finetune" if args.init else "cpu"))
    config = with_budget(config, args.max_steps, args.max_minutes, args.max_cpu_minutes)
    if args.save_every_steps is not None:
        config = dataclasses.replace(config, save_every_steps=args.save_every_steps)
    if args.init:
        config = fine_tuning_config(config, args.init)
    distributed.setup(args.device)
    try:
        if distributed.is_main() and not os.path.exists(os.path.join(args.out, PREPARED_FILE)):
            if args.pairs is None and not (args.corpus or args.hub_dataset):
                raise InputError("give --corpus PATH..., --hub-dataset NAME or --pairs DIR "
                                 "(or --out a prepared run folder)")
            pairs_dir = args.pairs
            if pairs_dir is None:
                from .training.corpus_input import build_run_pairs

                pairs_dir = build_run_pairs(args.corpus or [], args.out, config, args.text_key, args.hub_dataset,
                                            args.num_proc)
            info = prepare_run(args.out, pairs_dir, config, args.init)
            print(f"prepared {args.out}: {info['train_windows']:,} training windows ({info['train_stems']:,} "
                  f"stems), {info['validation_windows']:,} validation windows", file=sys.stderr)
            if "adapted" in info:  # what fine-tuning changes besides the weights
                print("adapted: " + "; ".join(f"{part}: {what}" for part, what in info["adapted"].items()),
                      file=sys.stderr)
        distributed.barrier()  # under torchrun the first process prepares, the others wait
        if args.prepare_only:
            return 0
        summary = train(args.out, config, init_dir=args.init, resume=args.resume, device_name=args.device)
        if summary is not None:
            print(json.dumps(summary, indent=1))
            if "warning" in summary:
                print(f"destem: warning: {summary['warning']}", file=sys.stderr)
        return 0
    finally:
        distributed.finish()


def add_data_build(data) -> None:
    p = add_command(data, "build", cmd_data_build)
    add_corpus_option(p, required=True)
    p.add_argument("--out", required=True, help="output folder (datasets save_to_disk)")
    p.add_argument("--max-stems", type=int, default=96, help="window size limit in stems (default: 96)")
    p.add_argument("--valid-fraction", type=float, default=0.01, help="share of articles for validation")
    p.add_argument("--seed", type=int, default=0, help="seed of the article split")
    p.add_argument("--inputs", default="destem", metavar="NAME:SHARE,...",
                   help="the pipelines that stem the documents and their shares, e.g. destem:0.5,isalpha:0.25,"
                        "letters:0.25 (default: destem); each document is stemmed by one of them")
    p.add_argument("--num-proc", type=int, default=2, help="worker processes (default: 2)")


def cmd_data_build(args) -> int:
    """prose corpus -> aligned (stems, text) windows as a datasets folder

    Stem prose in the corpus format (# Title, ## Heading, a paragraph a line) or plain text, and save aligned
    windows with train/validation splits.
    """
    from .text.pairs import PairConfig, build_pairs, parse_inputs

    start = time.time()
    config = PairConfig(max_stems=args.max_stems, valid_fraction=args.valid_fraction, seed=args.seed,
                        inputs=args.inputs)
    parse_inputs(config.inputs)  # refused before any work
    splits = build_pairs(args.corpus, args.out, config, num_proc=args.num_proc)
    minutes = (time.time() - start) / 60
    counts = ", ".join(f"{name}: {len(ds):,} windows" for name, ds in splits.items())
    print(f"wrote {args.out} ({counts}) in {minutes:.1f} min", file=sys.stderr)
    return 0


def add_data_detok(data) -> None:
    p = add_command(data, "check-detok", cmd_data_detok)
    add_corpus_option(p, required=True)
    p.add_argument("--max-paragraphs", type=int, default=5000, help="paragraphs to read (default: 5000)")


def cmd_data_detok(args) -> int:
    """measure the detokenizer on prose

    Share of sentences of the prose for which detokenizing the word tokens gives back the sentence exactly.
    """

    import itertools

    from .text.detok import detokenizer_agreement
    from .text.documents import expand_paths, read_documents

    paragraphs = (line for path in expand_paths(args.corpus) for doc in read_documents(path)
                  for line in doc.text.split("\n") if not line.startswith("#"))
    same, total = detokenizer_agreement(itertools.islice(paragraphs, args.max_paragraphs))
    print(f"detokenize(tokenize(s)) == s for {same:,} of {total:,} sentences ({100 * same / max(1, total):.1f}%)")
    return 0


def add_data_build_lm(data) -> None:
    from .restore.ngram import DEFAULT_ORDER

    p = add_command(data, "build-lm", cmd_data_build_lm)
    add_pairs_option(p)
    p.add_argument("--model", required=True, metavar="DIR", help="model folder to add ngram.npz to")
    p.add_argument("--merge-share", type=float, metavar="S",
                   help="keep the model's LM and add the pairs' counts to it, scaled to this share of the merged "
                        "counts (0 < S < 1), instead of replacing it: a domain's n-grams on top of general ones")
    p.add_argument("--min-count", type=int, default=2, help="drop n-grams seen fewer times (default: 2)")
    p.add_argument("--order", type=int, choices=(3, 4), default=DEFAULT_ORDER,
                   help=f"longest n-gram counted: 3 (trigrams) or 4 (4-grams as well; about 50%% more file) "
                        f"(default: {DEFAULT_ORDER})")


def cmd_data_build_lm(args) -> int:
    """add a word n-gram language model to a model folder

    Count word n-grams (up to 4-grams) of the target text of built pairs (training split) and save them as
    ngram.npz in a model folder, where restoring uses them to choose function words and word forms together (at
    the config's lm_weight; tune it with `destem calibrate --lm-weights`). With --merge-share, the counts are
    added to the folder's LM instead, at that share.
    """
    from datasets import load_from_disk

    from .restore.ngram import NGRAM_FILE, NgramLM, lm_from_pairs, pair_windows

    if not os.path.isdir(args.model):
        raise FileNotFoundError(f"no model folder at {args.model}")
    train = load_from_disk(args.pairs)["train"]
    if args.merge_share is not None:
        base = NgramLM.read(args.model)
        if base is None:
            raise InputError(f"--merge-share: {args.model} has no {NGRAM_FILE} to merge into")
        if not 0 < args.merge_share < 1:
            raise InputError(f"--merge-share must be between 0 and 1, not {args.merge_share}")
        lm = base.merged(pair_windows(train), args.merge_share, min_ngram_count=args.min_count)
    else:
        lm = lm_from_pairs(train, min_ngram_count=args.min_count, order=args.order)
    lm.save(args.model)
    fourgrams = "" if lm.fourgram_keys is None else f", {len(lm.fourgram_keys):,} 4-grams"
    print(f"wrote {os.path.join(args.model, NGRAM_FILE)}: {lm.words:,} words, {len(lm.bigram_keys):,} bigrams, "
          f"{len(lm.trigram_keys):,} trigrams{fourgrams}; tune its weight with `destem calibrate --lm-weights ...`",
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="destem", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_stem, add_restore, add_check, add_words, add_detect, add_eval, add_bench, add_calibrate,
                add_train):
        add(sub)
    data = sub.add_parser("data", help="build training pairs and language models").add_subparsers(
        dest="data_command", required=True, metavar="DATA_COMMAND")
    for add in (add_data_build, add_data_detok, add_data_build_lm):
        add(data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, FileNotFoundError) as e:
        print(f"destem: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): an OSError, but no error of destem's
        return 0
    except OSError as e:  # a write refused by the system (permissions, a full disk): its message, not a traceback
        print(f"destem: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:  # train says where it saved
        print(f"destem: {str(e) or 'interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
