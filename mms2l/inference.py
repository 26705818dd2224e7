"""Localise a query in one video with a trained S2L model.

    python -m mms2l.inference SAVED_DIR VIDEO "when does the man laugh?" [--fps 1] [--size 224]
        [--decoder threshold|critical_point|loc_head]

``SAVED_DIR`` is what ``S2LModel.save_pretrained`` (or the training hook) wrote.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from .datasets import FormatS2LInputs, LoadVideoFrames, ResizeCenterCrop, s2l_collate


@torch.no_grad()
def localize(model, video: str | Path, query: str, fps: float = 1.0, size: int = 224,
             decoder: dict | None = None) -> dict:
    """Generate the summary for ``query`` and decode every ``<loc>`` -> the model's result
    dict (``text``, ``forced_loc``, ``locs`` with ``segments`` in seconds, ``scores``, ``curve``)."""
    sample = LoadVideoFrames(fps=fps, max_frames=model.max_frames)(
        dict(video_path=str(video), query=query))
    sample = ResizeCenterCrop(size)(sample)
    packed = FormatS2LInputs(tokenizer=model.config['tokenizer'], with_answer=False)(sample)
    data = model.data_preprocessor(s2l_collate([packed]))
    tokens = model.encode_frames(data['inputs']['frames'], data['inputs']['num_frames'])
    length = packed['data_sample']['prompt_length']
    return model.generate(data['inputs']['input_ids'][0, :length], tokens, None,
                          packed['data_sample']['sec_per_frame'], decoder)


def main() -> None:
    parser = argparse.ArgumentParser(description='S2L temporal localisation of a query')
    parser.add_argument('saved_dir')
    parser.add_argument('video')
    parser.add_argument('query')
    parser.add_argument('--fps', type=float, default=1.0)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--decoder', default=None,
                        choices=['threshold', 'critical_point', 'loc_head'])
    args = parser.parse_args()
    from .models import S2LModel
    model = S2LModel.from_pretrained(args.saved_dir).eval()
    decoder = dict(type=args.decoder) if args.decoder else None
    result = localize(model, args.video, args.query, args.fps, args.size, decoder)
    print(f"answer: {result['text']}" + ('  (<loc> appended)' if result['forced_loc'] else ''))
    for m, loc in enumerate(result['locs']):
        spans = ', '.join(f'{s:.1f}-{e:.1f}s ({c:.2f})'
                          for (s, e), c in zip(loc['segments'], loc['scores']))
        print(f'<loc> {m}: {spans}')
        print(f'  similarity: {np.array2string(loc["curve"], precision=2, max_line_width=100)}')


if __name__ == '__main__':
    main()
