"""destem's general model, installed as a package: this folder is the model folder, and destem finds it
by the package's name (`destem.model.locate.locate_model`, `--model general`)."""
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent
