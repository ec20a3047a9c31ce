"""Which model folder to load, decided in one place, in this order:

1. `--model`: a model folder, or the name of an installed model package;
2. the environment variable DESTEM_MODEL, read the same way;
3. the installed default model, the package `destem_model_default` (`pip install ./models/default`).

A model named NAME is the package `destem_model_NAME`, whose own folder is the model folder; it is
found without being imported.
"""
from __future__ import annotations

import importlib.util
import os

from ..text.textio import InputError

MODEL_ENV = "DESTEM_MODEL"
DEFAULT_MODEL = "default"
GENERAL_MODEL = "general"  # models/general: trained on other registers and punctuation-free input too
PACKAGE_PREFIX = "destem_model_"


def installed_model(name: str) -> str | None:
    """The folder of the installed model package named `name`, or None."""
    module = PACKAGE_PREFIX + name.replace("-", "_")
    if not module.isidentifier():
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return os.path.dirname(spec.origin)


def locate_model(model: str | None = None) -> str:
    """The model folder that `model` (the --model value, or None) names, by the order above."""
    for value, source in ((model, "--model"), (os.environ.get(MODEL_ENV), f"${MODEL_ENV}")):
        if not value:
            continue
        if os.path.isdir(value):
            return value
        folder = None if os.sep in value or value.startswith(".") else installed_model(value)
        if folder:
            return folder
        if folder is None and (os.sep in value or value.startswith(".")):
            raise InputError(f"no model folder at {value}")
        raise InputError(f"{source} {value}: no model folder at {value}, and no installed model of that name "
                         f"(a package {PACKAGE_PREFIX}{value.replace('-', '_')})")
    folder = installed_model(DEFAULT_MODEL)
    if folder is None:
        raise InputError("no model: the default model is not installed (from a destem checkout: "
                         "pip install ./models/default); or pass --model DIR, or set DESTEM_MODEL")
    return folder


def model_asked_for(model: str | None) -> bool:
    """Whether the user named a model (`--model`, or $DESTEM_MODEL), rather than leaving it to the default."""
    return bool(model or os.environ.get(MODEL_ENV))


def other_installed_general(model_folder: str) -> str | None:
    """The installed general model's folder where it is not `model_folder` (the model in use), else None."""
    folder = installed_model(GENERAL_MODEL)
    return None if folder is None or os.path.samefile(folder, model_folder) else folder
