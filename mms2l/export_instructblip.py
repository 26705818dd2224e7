"""Split a local InstructBLIP checkpoint into the parts S2L loads.

``python -m mms2l.export_instructblip SRC DST`` writes ``DST/vision_model``
(``InstructBlipVisionModel``), ``DST/qformer`` (``InstructBlipQFormerModel`` plus
``query_tokens.pt`` and ``ln_vision.pt``, the vision model's ``post_layernorm``: BLIP-2's
``ln_vision``, which E.T.Chat applies to the Q-Former's input only) and, when SRC has
one, ``DST/qformer_tokenizer``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from .models.frame_compressor import LN_VISION_FILE, QUERY_TOKENS_FILE


def export_instructblip_parts(src: str | Path, dst: str | Path) -> Path:
    """Load ``InstructBlipForConditionalGeneration`` from ``src`` and save its vision
    model, Q-Former and query tokens (and the Q-Former tokenizer) under ``dst``."""
    from transformers import AutoTokenizer, InstructBlipForConditionalGeneration
    dst = Path(dst)
    model = InstructBlipForConditionalGeneration.from_pretrained(str(src))
    model.vision_model.save_pretrained(str(dst / 'vision_model'))
    model.qformer.save_pretrained(str(dst / 'qformer'))
    torch.save(model.query_tokens.detach().cpu(), dst / 'qformer' / QUERY_TOKENS_FILE)
    torch.save({k: v.detach().cpu() for k, v in model.vision_model.post_layernorm.state_dict().items()},
               dst / 'qformer' / LN_VISION_FILE)
    qformer_tok = Path(src) / 'qformer_tokenizer'
    if qformer_tok.is_dir():
        AutoTokenizer.from_pretrained(str(qformer_tok)).save_pretrained(str(dst / 'qformer_tokenizer'))
    return dst


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: python -m mms2l.export_instructblip SRC DST')
    print(export_instructblip_parts(sys.argv[1], sys.argv[2]))
