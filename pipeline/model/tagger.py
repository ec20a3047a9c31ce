"""The restoration model: a transformer encoder over the stems with three heads per stem.

The forward pipeline maps each original word to exactly one stem, in order, so restoring is
tagging: for every stem, predict the dropped words before it (gap), its word form (an edit of
the stem) and its case; the gap after the last stem is predicted at the end token. The
alignment is given, not learned — which is what makes the model trainable on a CPU budget.
Training builds and saves this class; restoring loads the same folder into plain_tagger.PlainTagger,
the same forward pass without importing transformers. The encoder is a BERT (from scratch or
MiniLM's), or with `encoder_type` "llama" the first layers of SmolLM2 made bidirectional
(smollm2.LlamaEncoder, the same module in both classes).
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, BertModel, PretrainedConfig, PreTrainedModel

from ..text.forward import DEFAULT_PIPELINE
from .labels import IGNORE
from .smollm2 import LlamaEncoder


class DestemConfig(PretrainedConfig):
    model_type = "destem-tagger"

    def __init__(
        self,
        vocab_size: int = 16000,  # tokenizer pieces of the stems
        hidden_size: int = 256,
        num_hidden_layers: int = 4,
        num_attention_heads: int = 4,
        intermediate_size: int = 1024,
        max_position_embeddings: int = 512,  # pieces per window, special tokens included
        type_vocab_size: int = 1,  # segment embeddings: one is used; 2 where a pretrained BERT brings them
        dropout: float = 0.1,
        gap_labels: list[str] | None = None,  # gap strings, id order
        form_labels: list[str] | None = None,  # edit scripts, id order
        case_loss_weight: float = 0.5,
        empty_gap_bias: float = 0.0,  # added to the "no function words" logit when restoring (`destem calibrate`)
        lm_weight: float = 0.0,  # weight of the word n-gram LM (ngram.npz) when restoring; 0: tagger alone
        lm_word_bonus: float = 0.0,  # LM score added per word written, against its taste for short output
        pipeline: dict | None = None,  # the forward pipeline the model inverts (ForwardPipeline.to_config)
        encoder_type: str = "bert",  # "bert", or "llama": smollm2.LlamaEncoder (bidirectional, no dropout)
        num_key_value_heads: int | None = None,  # llama: key/value heads, each shared by several query heads
        rope_theta: float = 10000.0,  # llama: the rotary positions' base
        rms_norm_eps: float = 1e-5,  # llama
        pad_token_id: int = 0,
        bos_token_id: int = 1,
        eos_token_id: int = 2,
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.dropout = dropout
        self.gap_labels = list(gap_labels or [""])
        self.form_labels = list(form_labels or ["0:"])
        self.case_loss_weight = case_loss_weight
        self.empty_gap_bias = empty_gap_bias
        self.lm_weight = lm_weight
        self.lm_word_bonus = lm_word_bonus
        self.pipeline = pipeline or DEFAULT_PIPELINE.to_config()  # folders from before it was named: the default
        self.encoder_type = encoder_type
        self.num_key_value_heads = num_key_value_heads or num_attention_heads
        self.rope_theta = rope_theta
        self.rms_norm_eps = rms_norm_eps
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id, eos_token_id=eos_token_id, **kwargs)

    def encoder_config(self) -> BertConfig:
        return BertConfig(
            vocab_size=self.vocab_size, hidden_size=self.hidden_size, num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads, intermediate_size=self.intermediate_size,
            max_position_embeddings=self.max_position_embeddings, hidden_dropout_prob=self.dropout,
            attention_probs_dropout_prob=self.dropout, pad_token_id=self.pad_token_id,
            type_vocab_size=self.type_vocab_size,
        )


class DestemTagger(PreTrainedModel):
    config_class = DestemConfig
    base_model_prefix = "destem"
    _supports_sdpa = True

    def __init__(self, config: DestemConfig):
        super().__init__(config)
        if config.encoder_type == "llama":
            self.encoder = LlamaEncoder(config)
        else:
            self.encoder = BertModel(config.encoder_config(), add_pooling_layer=False)
        self.gap_head = nn.Linear(config.hidden_size, len(config.gap_labels))
        self.form_head = nn.Linear(config.hidden_size, len(config.form_labels))
        self.case_head = nn.Linear(config.hidden_size, 4)
        self.post_init()

    def forward(self, input_ids, attention_mask, word_positions,
                gap_labels=None, form_labels=None, case_labels=None):
        """word_positions[b, k]: index of stem k's first piece (k = n: the end token).

        Returns a dict of logits per stem slot, and `loss` when labels are given.
        """
        if self.config.encoder_type == "llama":
            hidden = self.encoder(input_ids, attention_mask)
        else:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        index = word_positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1))
        slots = hidden.gather(1, index)  # (batch, stems + 1, hidden)
        out = {
            "gap_logits": self.gap_head(slots),
            "form_logits": self.form_head(slots),
            "case_logits": self.case_head(slots),
        }
        if gap_labels is not None:
            ce = nn.functional.cross_entropy
            gap_loss = ce(out["gap_logits"].flatten(0, 1).float(), gap_labels.flatten(), ignore_index=IGNORE)
            form_loss = ce(out["form_logits"].flatten(0, 1).float(), form_labels.flatten(), ignore_index=IGNORE)
            case_loss = ce(out["case_logits"].flatten(0, 1).float(), case_labels.flatten(), ignore_index=IGNORE)
            out["gap_loss"], out["form_loss"], out["case_loss"] = gap_loss, form_loss, case_loss
            out["loss"] = gap_loss + form_loss + self.config.case_loss_weight * case_loss
        return out
