"""Split a local InstructBLIP checkpoint into the parts S2L loads.

``python -m mms2l.export_instructblip SRC DST [--overwrite]`` writes ``DST/vision_model``
(``InstructBlipVisionModel``), ``DST/qformer`` (``InstructBlipQFormerModel`` plus
``query_tokens.pt`` and ``ln_vision.pt``, the vision model's ``post_layernorm``: BLIP-2's
``ln_vision``, which E.T.Chat applies to the Q-Former's input only) and, when SRC has
one, ``DST/qformer_tokenizer``. An existing DST is refused (before SRC is read) unless
``--overwrite``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

import torch

from mmcontrast.errors import exit_on_input_error
from mmcontrast.fileio import atomic_path, refuse_existing

from .models.frame_compressor import LN_VISION_FILE, QUERY_TOKENS_FILE


def _save_tensors(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def export_instructblip_parts(src: str | Path, dst: str | Path) -> Path:
    """Load ``InstructBlipForConditionalGeneration`` from ``src`` and save its vision
    model, Q-Former and query tokens (and the Q-Former tokenizer) under ``dst``."""
    from transformers import AutoTokenizer, InstructBlipForConditionalGeneration
    dst = Path(dst)
    model = InstructBlipForConditionalGeneration.from_pretrained(str(src))
    model.vision_model.save_pretrained(str(dst / 'vision_model'))
    model.qformer.save_pretrained(str(dst / 'qformer'))
    _save_tensors(model.query_tokens.detach().cpu(), dst / 'qformer' / QUERY_TOKENS_FILE)
    _save_tensors({k: v.detach().cpu()
                   for k, v in model.vision_model.post_layernorm.state_dict().items()},
                  dst / 'qformer' / LN_VISION_FILE)
    qformer_tok = Path(src) / 'qformer_tokenizer'
    if qformer_tok.is_dir():
        AutoTokenizer.from_pretrained(str(qformer_tok)).save_pretrained(str(dst / 'qformer_tokenizer'))
    return dst


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m mms2l.export_instructblip',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('src', help='local InstructBLIP checkpoint folder')
    parser.add_argument('dst', help='folder to write the parts to')
    parser.add_argument('--overwrite', action='store_true', help='write into an existing DST')
    args = parser.parse_args(argv)
    refuse_existing(args.dst, args.overwrite, 'DST')
    print(export_instructblip_parts(args.src, args.dst))
    return 0


if __name__ == '__main__':
    raise SystemExit(exit_on_input_error(main, None, 'mms2l.export_instructblip'))
