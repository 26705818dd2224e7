"""Tiny offline fixtures for tests and the tiny config: a word-level tokenizer and a
synthetic ETSum-style set of coloured-square videos.

``python -m mms2l.testing data/s2l_tiny`` writes ``tokenizer/``, ``videos/*.npy``,
``train.json`` and ``val.json`` there (the layout ``configs/s2l/s2l_tiny.py`` reads).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

COLOURS = {'red': (220, 30, 30), 'green': (30, 200, 40), 'blue': (30, 60, 220),
           'yellow': (230, 220, 40)}
WORDS = tuple(('user assistant : when is the a an square shown appears on screen video '
         'clip of in . , ? red green blue yellow then there').split())
SPECIAL = ('[PAD]', '[UNK]', '<s>', '</s>')


def make_word_tokenizer(save_dir: str | Path) -> Path:
    """Write a whitespace/punctuation word-level tokenizer (no chat template)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    vocab = {tok: i for i, tok in enumerate(SPECIAL + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token='[UNK]'))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.normalizer = normalizers.Lowercase()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token='[PAD]', unk_token='[UNK]',
                                  bos_token='<s>', eos_token='</s>')
    save_dir = Path(save_dir)
    tok.save_pretrained(str(save_dir))
    return save_dir


def square_video(colour: str, num_frames: int, start: int, end: int, size: int = 32,
                 seed: int = 0) -> np.ndarray:
    """Grey noise frames (T, size, size, 3) uint8 with a coloured square in frames [start, end)."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(90, 140, size=(num_frames, size, size, 3), dtype=np.uint8)
    lo, hi = size // 4, 3 * size // 4
    frames[start:end, lo:hi, lo:hi] = COLOURS[colour]
    return frames


def make_tiny_etsum(root: str | Path, num_train: int = 8, num_val: int = 4,
                    num_frames: int = 8, fps: float = 1.0) -> Path:
    """Write the tokenizer, the videos and train/val annotations under ``root``."""
    root = Path(root)
    make_word_tokenizer(root / 'tokenizer')
    (root / 'videos').mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = list(COLOURS)
    for split, count in (('train', num_train), ('val', num_val)):
        items = []
        for i in range(count):
            colour = names[i % len(names)]
            start = int(rng.integers(0, num_frames - 2))
            end = int(rng.integers(start + 1, num_frames + 1))
            video = f'{split}_{i}.npy'
            np.save(root / 'videos' / video, square_video(colour, num_frames, start, end, seed=i))
            items.append(dict(video=video, duration=num_frames / fps, task='tvg',
                              q=f'when is the {colour} square shown ?',
                              segments=[[start / fps, end / fps]],
                              summaries=[f'a {colour} square appears on screen .']))
        (root / f'{split}.json').write_text(json.dumps(items, indent=1))
    return root


if __name__ == '__main__':
    print(make_tiny_etsum(sys.argv[1] if len(sys.argv) > 1 else 'data/s2l_tiny'))
