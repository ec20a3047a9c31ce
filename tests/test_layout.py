"""The package's layout is its design: stages import only from the stages before them, and no product
module imports itself back through others (no cycle).

Read from the source with `ast`, so lazy imports inside functions count too: a lazy import is still a
dependency, and a cycle through one is still a cycle (batch.py once imported ray_engine inside a function,
and ray_engine imported batch).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
STAGES = ["text", "model", "restore", "evaluation", "training", "lab"]  # lowest first; the lab is not installed
RANK = {stage: i for i, stage in enumerate(STAGES)} | {"cli": len(STAGES), "__init__": len(STAGES)}


def module_name(path: Path) -> str:
    parts = ("destem", *path.relative_to(PACKAGE).with_suffix("").parts)  # pipeline/ installs as `destem`
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[str]:
    """Every `destem` module that `path` imports, at module level or inside a function: `from .p import m`
    of a module m counts as m, `from .m import f` as m."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            targets = [m if m in MODULE_NAMES else target for m in submodules] if node.module else submodules
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found += [t for t in targets if t == "destem" or t.startswith("destem.")]
    return found


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = sorted(PACKAGE.rglob("*.py"))
MODULE_NAMES = {module_name(p) for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_a_stage_imports_only_from_itself_and_the_stages_before_it(path):
    own = stage_of(module_name(path))
    upward = [target for target in imported_modules(path) if RANK[stage_of(target)] > RANK[own]]
    assert upward == [], f"{module_name(path)} ({own}) imports from a later stage: {upward}"


def test_no_import_cycles_among_product_modules_lazy_imports_included():
    # the lab is not the product: its scripts may import each other as they like
    graph = {module_name(p): set(imported_modules(p)) for p in MODULES if stage_of(module_name(p)) != "lab"}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target in graph and state.get(target) != 2:
                visit(target, path + [target])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])


def test_every_stage_says_its_job():
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
        assert doc and len(doc.split()) >= 10, f"pipeline/{stage}/__init__.py needs a docstring saying its job"


def test_the_public_api_is_short_and_does_not_import_torch():
    code = ("import sys, destem; assert 'torch' not in sys.modules; "
            "from destem import stem_text, check_documents; assert 'torch' not in sys.modules; "
            "print(stem_text('Trotsky died the next day.'), check_documents(['trotski'], ['Trotsky']).ok); "
            "from destem import Restorer; print(Restorer.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["trotski die next day . True", "Restorer"]
