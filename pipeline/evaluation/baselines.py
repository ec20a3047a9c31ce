"""The baselines a user has without a model, scored next to it by `destem eval`.

- identity: the stems as they are;
- lexicon: each stem to its most frequent surface form in the training prose (the model folder's
  lexicon), sentence-initial capitals, Treebank detokenization, and no function words.
"""
from __future__ import annotations

from ..model.labels import capitalize_sentences
from ..restore.lexicon import Lexicon
from ..text.detok import detokenize


def identity(documents: list[str]) -> list[str]:
    return list(documents)


class LexiconBaseline:
    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    @classmethod
    def from_model_dir(cls, model_dir: str) -> LexiconBaseline:
        return cls(Lexicon.from_folder(model_dir))  # FileNotFoundError names the folder

    def restore_document(self, stems: str) -> str:
        words = [self.lexicon.most_frequent(stem) or stem for stem in stems.split()]
        return detokenize(capitalize_sentences(words))

    def restore(self, documents: list[str]) -> list[str]:
        return [self.restore_document(d) for d in documents]
