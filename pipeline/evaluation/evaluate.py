"""`destem eval`: stem prose with the forward pipeline, restore it with each system, and score every
system on the same documents, whole and cut into windows the way training pairs are cut.

Writes DIR/report.json (every number, the signatures, versions, the model's id, the machine),
DIR/report.md (one table), two charts, and per system DIR/<system>/{sources,hypotheses,references}.txt
(and windows/ likewise), one document per line, so any score can be recomputed with sacrebleu alone.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import tomllib

from ..model.locate import locate_model
from ..text.documents import Document, expand_paths, read_documents
from ..text.forward import stem_text
from ..text.pairs import PairConfig, document_windows
from ..text.textio import InputError
from .bench import PeakMemory, machine_info, markdown_table, model_info, package_versions, resolve_devices
from .calibrate import calibration_errors, observe_confidence, plot_reliability
from .metrics import analyze, document_bleu, score_texts

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout, where the code runs from one (an editable install)
SUITES = Path("eval", "suites")  # a checkout's suites and their data; a wheel does not hold them
SYSTEMS = ("identity", "lexicon", "model")
NEEDS_MODEL_DIR = frozenset({"lexicon", "model"})
WINDOWS = PairConfig()  # training's window cut: whole sentences, at most 96 stems
SUITE_KEYS = frozenset({"description", "data", "systems", "limit_words", "out"})

# the report's table: (header, level, score). "(w)": on windows. The alignment-based scores
# (content, function words, casing) count a document only up to its first round-trip slip, so
# they are read on windows, where one slip costs one window.
TABLE_COLUMNS = [
    ("BLEU", "documents", "bleu"), ("BLEU lc", "documents", "bleu_uncased"), ("chrF++", "documents", "chrf++"),
    ("TER (w)", "windows", "ter"), ("WER", "documents", "wer"),
    ("content (w)", "windows", "content_accuracy"), ("content lc (w)", "windows", "content_accuracy_uncased"),
    ("FW P (w)", "windows", "function_precision"), ("FW R (w)", "windows", "function_recall"),
    ("FW F1 (w)", "windows", "function_f1"), ("casing (w)", "windows", "casing_accuracy"),
    ("detok", "documents", "detokenization_accuracy"), ("RT docs", "documents", "roundtrip_documents"),
    ("RT stems", "documents", "roundtrip_stems"), ("BLEU (w)", "windows", "bleu"), ("chrF++ (w)", "windows", "chrf++"),
    ("stems/s", "speed", "stems_per_s"), ("peak RSS MiB", "speed", "peak_rss_mib"),
]
CHART_SCORES = [("BLEU", "documents", "bleu"), ("chrF++", "documents", "chrf++"),
                ("content (w)", "windows", "content_accuracy"), ("function F1 (w)", "windows", "function_f1"),
                ("casing (w)", "windows", "casing_accuracy"), ("detok", "documents", "detokenization_accuracy"),
                ("round trip", "documents", "roundtrip_documents")]


@dataclass(frozen=True)
class Suite:
    name: str
    data: list[str]
    systems: list[str]
    limit_words: int | None
    out: str
    description: str = ""


def checkout_root() -> Path | None:
    """The destem checkout whose suites `load_suite` reads: the one the code runs from (an editable install),
    else the working folder or a folder above it (a checkout beside a non-editable install); None outside one."""
    for root in (REPO_ROOT, Path.cwd(), *Path.cwd().parents):
        if (root / SUITES / "wikitext2-test.toml").is_file():
            return root
    return None


def load_suite(name: str) -> Suite:
    """A suite by name (eval/suites/NAME.toml of the checkout) or by its file's path. Relative paths in it
    are relative to the checkout's root, wherever in it the command runs (outside one: to the suite's folder)."""
    root = checkout_root()
    if name.endswith(".toml"):
        path = Path(name)
    elif root is None:
        raise InputError(f"no suite {name!r}: suites are a destem checkout's {SUITES}/NAME.toml (with their data); "
                         f"run this from the checkout, or give a suite file's path")
    else:
        path = root / SUITES / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (root / SUITES).glob("*.toml"))) if root else ""
        raise InputError(f"no suite {name!r} (known: {known or 'none'})")
    try:
        with open(path, "rb") as f:
            spec = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML ({e})") from None
    if set(spec) - SUITE_KEYS or not isinstance(spec.get("data"), list):
        raise InputError(f"{path}: expected a `data` list and only the keys {', '.join(sorted(SUITE_KEYS))}")

    def resolve(p: str) -> str:
        return os.path.normpath(p if os.path.isabs(p) else (root or path.parent) / p)

    return Suite(path.stem, [resolve(p) for p in spec["data"]], list(spec.get("systems", SYSTEMS)),
                 spec.get("limit_words"), resolve(spec.get("out", f"eval/results/{path.stem}")),
                 spec.get("description", ""))


@dataclass
class EvalOptions:
    prose: list[str]
    out: str
    systems: list[str] = field(default_factory=lambda: list(SYSTEMS))
    model_dir: str | None = None  # a model folder or an installed model's name; None: $DESTEM_MODEL or the default
    limit_words: int | None = None
    constrained: bool = True
    batch_tokens: int | None = None  # None: the device's (model.device.RESTORE_BATCH_TOKENS)
    device: str = "auto"
    precision: str = "auto"  # the model's: "auto", "bf16", "int8" or "fp32" (as `destem restore --precision`)
    suite: str | None = None


@dataclass
class EvalSet:
    """What every system is scored on: documents, and the same text cut into windows.

    A document is scored as one line (its whitespace runs made one space), and its stems are
    that line's, so that stemming a reference gives its source exactly. (The stems of the
    document with its line breaks can differ: Punkt reads sentence ends across lines.)
    """

    doc_ids: list[str]
    sources: list[str]  # stems of the references
    references: list[str]  # the prose of each document on one line
    window_sources: list[str]
    window_references: list[str]
    window_gold: list[dict]  # per window, the original's "words" and "gaps" per stem (what confidences are checked on)
    words: int


def take_documents(paths: list[str], limit_words: int | None) -> list[Document]:
    """Whole documents in order; with a limit, until they hold `limit_words` words (the last one
    taken may pass it)."""
    documents, words = [], 0
    for path in expand_paths(paths):
        for doc in read_documents(path):
            if limit_words is not None and words >= limit_words:
                return documents
            documents.append(doc)
            words += len(doc.text.split())
    return documents


def load_eval_set(paths: list[str], limit_words: int | None) -> EvalSet:
    documents = [Document(d.doc_id, " ".join(d.text.split())) for d in take_documents(paths, limit_words)]
    if not documents:
        raise InputError("no documents in " + ", ".join(paths))
    windows = [w for doc in documents for w in document_windows(doc, WINDOWS)]
    return EvalSet([d.doc_id for d in documents], [stem_text(d.text) for d in documents], [d.text for d in documents],
                   [w["source"] for w in windows], [w["target"].strip() for w in windows],
                   [{"words": w["words"], "gaps": w["gaps"]} for w in windows],
                   sum(len(d.text.split()) for d in documents))


# (stem documents, progress bar) -> texts (the model's also takes explain=True)
Restore = Callable[[list[str], object], list[str]]


def load_system(name: str, options: EvalOptions, warmup: str) -> tuple[Restore, str, Callable | None, dict]:
    """The system's restore function, the device it runs on, for the model a function that
    restores with explanations (the same texts, each choice's probability), and how the model runs
    (its precision, what "auto" became here, and pieces per batch; empty for the baselines). The model
    restores `warmup` once, so that one-time setup (a GPU's above all) is not timed as restoring."""
    if name == "model":
        from ..restore.restorer import Restorer

        restorer = Restorer.from_pretrained(options.model_dir, device=options.device, precision=options.precision)
        restorer.restore_documents([warmup])

        def restore(documents: list[str], progress, explain: bool = False) -> list:
            results = restorer.restore_documents(documents, batch_tokens=options.batch_tokens,
                                                 constrained=options.constrained, progress=progress, explain=explain)
            return results if explain else [r.text for r in results]

        settings = {"precision": restorer.precision, "batch_tokens": options.batch_tokens or restorer.batch_tokens}
        return restore, restorer.device.type, partial(restore, explain=True), settings
    from .baselines import LexiconBaseline, identity

    baseline = LexiconBaseline.from_model_dir(options.model_dir).restore if name == "lexicon" else identity

    def restore_all(documents: list[str], progress) -> list[str]:
        texts = baseline(documents)
        progress.update(sum(len(d.split()) for d in documents))
        return texts

    return restore_all, "cpu", None, {}


@dataclass
class SystemRun:
    hypotheses: list[str]
    window_hypotheses: list[str]
    speed: dict
    confidence: dict | None = None  # the model's: calibration error of p_gap and p_word on the windows


def run_system(name: str, options: EvalOptions, eval_set: EvalSet, progress) -> SystemRun:
    """Restore the documents, then the windows; time the documents pass and watch memory."""
    with PeakMemory() as memory:
        start = time.perf_counter()
        restore, device, explain, settings = load_system(name, options, warmup=eval_set.window_sources[0])
        loaded = time.perf_counter()
        hypotheses = [one_line(t) for t in restore(eval_set.sources, progress)]
        restored = time.perf_counter()
        confidence = None
        if explain is None:
            window_hypotheses = [one_line(t) for t in restore(eval_set.window_sources, progress)]
        else:
            restorations = explain(eval_set.window_sources, progress)
            window_hypotheses = [one_line(r.text) for r in restorations]
            confidence = calibration_errors(observe_confidence(restorations, eval_set.window_gold))
        done = time.perf_counter()
    seconds = max(restored - loaded, 1e-9)
    stems = sum(len(s.split()) for s in eval_set.sources)
    speed = {"device": device, "load_seconds": loaded - start, "seconds": restored - loaded,
             "stems_per_s": stems / seconds, "words_per_s": eval_set.words / seconds,
             "window_seconds": done - restored, "peak_rss_mib": memory.mib, "peak_rss_reset": memory.reset,
             **settings}
    return SystemRun(hypotheses, window_hypotheses, speed, confidence)


def one_line(text: str) -> str:
    return text.replace("\n", " ")  # restorations are one line already; a file line is a document


def write_texts(folder: str, sources: list[str], hypotheses: list[str], references: list[str]) -> None:
    os.makedirs(folder, exist_ok=True)
    for name, lines in (("sources", sources), ("hypotheses", hypotheses), ("references", references)):
        with open(os.path.join(folder, f"{name}.txt"), "w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)


def evaluate(options: EvalOptions) -> dict:
    """Run and score every system; write the report files; return the report."""
    from tqdm import tqdm

    unknown = [s for s in options.systems if s not in SYSTEMS]
    if unknown or not options.systems:
        raise InputError(f"unknown system {', '.join(unknown) or '(none)'}; choose from {', '.join(SYSTEMS)}")
    if NEEDS_MODEL_DIR & set(options.systems):  # the lexicon and model systems read it
        options = dataclasses.replace(options, model_dir=locate_model(options.model_dir))
    if "model" in options.systems and options.device == "cuda":
        resolve_devices(options.device)  # a clear error where there is no GPU
    if options.limit_words is not None and options.limit_words < 1:
        raise InputError("--limit-words must be at least 1")
    started = time.perf_counter()
    eval_set = load_eval_set(options.prose, options.limit_words)
    reference_documents = [analyze(r) for r in eval_set.references]
    reference_windows = [analyze(r) for r in eval_set.window_references]
    total_stems = sum(len(s.split()) for s in eval_set.sources + eval_set.window_sources)
    systems, signatures = {}, {}
    for name in options.systems:
        with tqdm(total=total_stems, desc=name, unit="stem", file=sys.stderr, dynamic_ncols=True) as progress:
            run = run_system(name, options, eval_set, progress)
            progress.set_postfix_str("scoring")
            folder = os.path.join(options.out, name)
            write_texts(folder, eval_set.sources, run.hypotheses, eval_set.references)
            write_texts(os.path.join(folder, "windows"), eval_set.window_sources, run.window_hypotheses,
                        eval_set.window_references)
            documents = score_texts(run.hypotheses, reference_documents, eval_set.sources, ter=False)
            windows = score_texts(run.window_hypotheses, reference_windows, eval_set.window_sources, ter=True)
        signatures |= documents.pop("signatures") | windows.pop("signatures")
        per_document = document_bleu(run.hypotheses, eval_set.references)
        systems[name] = {"documents": documents, "windows": windows, "speed": run.speed,
                         "document_bleu": [{"id": i, "bleu": b} for i, b in zip(eval_set.doc_ids, per_document)]}
        if run.confidence is not None:
            systems[name]["confidence"] = run.confidence
    devices = sorted({s["speed"]["device"] for s in systems.values()})
    report = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "suite": options.suite,
        "data": {"prose": options.prose, "limit_words": options.limit_words, "documents": len(eval_set.sources),
                 "words": eval_set.words, "stems": sum(len(s.split()) for s in eval_set.sources),
                 "windows": len(eval_set.window_sources), "window_max_stems": WINDOWS.max_stems},
        "model": model_info(options.model_dir) if NEEDS_MODEL_DIR & set(options.systems) else None,
        "options": {"systems": options.systems, "constrained": options.constrained,
                    "batch_tokens": options.batch_tokens, "device": options.device, "precision": options.precision},
        "machine": machine_info(devices),
        "versions": package_versions(),
        "signatures": signatures,
        "systems": systems,
        "seconds": time.perf_counter() - started,
    }
    write_report(report, options.out)
    return report


def _cell(value: float | None, key: str) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if key in ("stems_per_s", "peak_rss_mib") else f"{value:.1f}"


def report_table(report: dict) -> str:
    """One row per system, one column per score (documents unless marked (w): windows)."""
    rows = []
    for name, result in report["systems"].items():
        row = [name]
        for _, level, key in TABLE_COLUMNS:
            values = result["speed"] if level == "speed" else result[level]["scores"]
            row.append(_cell(values.get(key), key))
        rows.append(row)
    return markdown_table(["system"] + [header for header, _, _ in TABLE_COLUMNS], rows)


def report_markdown(report: dict) -> str:
    data, machine = report["data"], report["machine"]
    model = report["model"]
    limit = f", the first documents up to {data['limit_words']:,} words" if data["limit_words"] else ""
    lines = [
        f"# destem evaluation{': ' + report['suite'] if report['suite'] else ''}",
        "",
        f"Data: {', '.join(data['prose'])}{limit}: {data['documents']:,} documents, {data['words']:,} words, "
        f"{data['stems']:,} stems; {data['windows']:,} windows of at most {data['window_max_stems']} stems.",
        f"Model: {model['path']} ({model['id']}); decoding: "
        + ", ".join(f"{k}={v}" for k, v in model["decoding"].items()) + "." if model else "Model: none.",
        f"Machine: {machine['cpu']}{capability(machine)}, {machine['cpu_cores']} cores; ran on "
        f"{', '.join(machine['devices'])}{precision_note(report)}. "
        f"Created {report['created']} in {report['seconds'] / 60:.1f} min.",
        "",
        report_table(report),
        "",
        "Scores in %, on whole documents unless marked (w): on windows, each restored alone. BLEU / chrF++ / "
        "TER: sacrebleu, cased (BLEU lc: lowercased). WER: on Treebank word tokens. content: stems restored to "
        "exactly the reference word (lc: up to case). FW P/R/F1: function words per gap between stems. casing: "
        "of the words right up to case, the share also right in case. (These three count a text only up to its "
        "first round-trip slip, hence windows.) detok: spacing agreement at punctuation and clitics. RT: round "
        "trip, stemming the output gives the input (documents, stems). stems/s: documents pass; peak RSS: the "
        "process while the system ran. report.json holds every score on both levels.",
        "",
        "![scores by system](report.png) ![BLEU per document](bleu-per-document.png)",
        "",
        *function_class_lines(report),
        *confidence_lines(report),
        "Signatures:",
        "",
        *[f"- {name}: `{signature}`" for name, signature in report["signatures"].items()],
    ]
    return "\n".join(lines) + "\n"


def capability(machine: dict) -> str:
    """" (AVX2)": the vector unit torch ran on, where the report has it."""
    return f" ({machine['cpu_capability']})" if machine.get("cpu_capability") else ""


def precision_note(report: dict) -> str:
    """", the model in fp32" (what the model ran in), or nothing for a report without it."""
    precision = report["systems"].get("model", {}).get("speed", {}).get("precision")
    return f", the model in {precision}" if precision else ""


def function_class_lines(report: dict) -> list[str]:
    """Recall and precision of the dropped words by class, per system, on the windows: what is at risk."""
    systems = {name: result["windows"]["function_classes"] for name, result in report["systems"].items()
               if "function_classes" in result["windows"]}
    if not systems:
        return []
    first = next(iter(systems.values()))
    header = ["dropped words (windows)", "in the references"] + [f"{name} {rate}" for name in systems
                                                                 for rate in ("recall", "precision")]
    rows = [[cls, f"{first[cls]['reference']:,}"] + [_cell(classes[cls][rate], rate) for classes in systems.values()
                                                     for rate in ("recall", "precision")]
            for cls in first]
    return ["Dropped words by class: recall, of the reference's words of the class, the share restored in the "
            "same gap; precision, of those restored, the share the reference has there (%).", "",
            markdown_table(header, rows), ""]


def confidence_lines(report: dict) -> list[str]:
    """The model's calibration errors, under the table, with the reliability diagram."""
    model = report["systems"].get("model", {})
    if "confidence" not in model:
        return []
    gap, word = model["confidence"]["gap"], model["confidence"]["word"]
    return [f"Confidence (`restore --explain`, on the windows): expected calibration error ({gap['bins']} equal-width "
            f"bins) of p_gap {gap['ece']:.3f} ({gap['count']:,} gaps, {100 * gap['accuracy']:.1f}% right, mean "
            f"probability {100 * gap['mean_probability']:.1f}%), of p_word {word['ece']:.3f} ({word['count']:,} "
            f"words, {100 * word['accuracy']:.1f}% right up to case, mean probability "
            f"{100 * word['mean_probability']:.1f}%).", "", "![reliability diagram](reliability.png)", ""]


def write_report(report: dict, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write(report_markdown(report))
    plot_scores(report, os.path.join(out, "report.png"))
    plot_document_bleu(report, os.path.join(out, "bleu-per-document.png"))
    if "confidence" in report["systems"].get("model", {}):
        plot_reliability(report["systems"]["model"]["confidence"], os.path.join(out, "reliability.png"),
                         f"Reliability on {report['data']['windows']:,} windows ({report['suite'] or 'eval'})")


def plot_scores(report: dict, path: str) -> None:
    """Grouped bars: the main document scores, one bar per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["systems"])
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for k, name in enumerate(names):
        result = report["systems"][name]
        values = [result[level]["scores"][key] for _, level, key in CHART_SCORES]
        values = [float("nan") if v is None else v for v in values]
        positions = [i + (k - (len(names) - 1) / 2) * width for i in range(len(CHART_SCORES))]
        bars = ax.bar(positions, values, width, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks(range(len(CHART_SCORES)), [label for label, _, _ in CHART_SCORES])
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title(f"Scores by system ({report['data']['documents']:,} documents, {report['data']['words']:,} words)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_document_bleu(report: dict, path: str) -> None:
    """BLEU of each document, per system: where a system wins and how evenly."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(report["systems"])
    values = [[d["bleu"] for d in report["systems"][n]["document_bleu"]] for n in names]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.boxplot(values, showfliers=False)
    jitter = np.random.default_rng(0)  # fixed, so the chart is the same for the same report
    for k, v in enumerate(values, 1):
        ax.scatter(k + jitter.uniform(-0.15, 0.15, len(v)), v, s=8, alpha=0.6)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_ylabel("BLEU")
    ax.set_title("BLEU per document")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
