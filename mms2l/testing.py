"""Tiny offline fixtures for tests and the tiny config: a word-level tokenizer and a
synthetic ETSum-style set of coloured-square videos.

``python -m mms2l.testing data/s2l_tiny`` writes ``tokenizer/``, ``videos/*.npy``,
``train.json`` and ``val.json`` there (the layout ``configs/s2l/s2l_tiny.py`` reads).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mmcontrast.fileio import write_json_atomic

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
        write_json_atomic(root / f'{split}.json', items, indent=1)
    return root


if __name__ == '__main__':
    print(make_tiny_etsum(sys.argv[1] if len(sys.argv) > 1 else 'data/s2l_tiny'))


# ------------------------------------------------------------------ ETBench fixture
#: per task: (the sources it alternates between, a prompt); ``{x}`` is filled per sample.
_ETBENCH_PROMPTS = {
    'rar': (('perception_test', 'star'), 'What is the person doing at <vid>? Options: (A) {0} '
            '(B) {1} (C) {2} (D) {3}. Answer with the option letter.'),
    'eca': (('charades_sta', 'qvhighlights'), "Which segment shows '{x}'? Options: "
            '(A) <vid> - <vid> (B) <vid> - <vid> (C) <vid> - <vid> (D) <vid> - <vid>.'),
    'rvq': (('star', 'perception_test'), 'What happens at <vid>? Options: (A) {0} (B) {1} '
            '(C) {2} (D) {3}. Answer with the option letter.'),
    'tvg': (('qvhighlights', 'charades_sta'), "Give the start and end time of '{x}'."),
    'epm': (('ego4d_nlq', 'ego4d_nlq'), "Where did I last see '{x}'? Give the start and end time."),
    'tal': (('thumos14', 'activitynet'), "Find every segment where '{x}' happens."),
    'evs': (('summe', 'tvsum'), 'Pick the segments that summarise this video.'),
    'vhd': (('qvhighlights', 'youtube_highlights'), "At which second is '{x}' at its peak?"),
    'dvc': (('youcook2', 'activitynet_captions'),
            'Describe every event with its start and end time.'),
    'slc': (('crosstask', 'howto_step'), 'Localise every step of this how-to video.'),
    'tem': (('perception_test', 'qvhighlights'), 'Find another segment like <vid> - <vid>.'),
    'gvq': (('qa_ego4d', 'qa_ego4d'), "What is shown? Options: (A) {0} (B) {1} (C) {2} (D) {3}. "
            'Answer and give the segment.'),
}
_ETBENCH_WORDS = ('a red car passes', 'someone waves', 'the camera pans', 'a dog runs')


def _etbench_targets(task: str, duration: float, rng: np.random.Generator) -> dict:
    """Task-specific keys (src, tgt, o, p, g) with spans inside [0, duration]."""
    def span() -> list[float]:
        start = round(float(rng.uniform(0, duration * 0.6)), 1)
        return [start, round(float(rng.uniform(start + 0.5, duration)), 1)]

    words = list(_ETBENCH_WORDS)
    if task in ('rar', 'rvq'):
        return dict(src=[round(float(rng.uniform(0, duration)), 1)], o=words,
                    p=int(rng.integers(4)))
    if task == 'eca':
        options = [span() for _ in range(4)]
        return dict(src=[t for o in options for t in o], o=options, p=int(rng.integers(4)))
    if task == 'gvq':
        return dict(o=words, p=int(rng.integers(4)), tgt=span())
    if task in ('tvg', 'epm'):
        return dict(tgt=span())
    if task == 'tem':
        return dict(src=span(), tgt=[span(), span()])
    if task == 'vhd':  # two annotators, each with their highlight windows
        return dict(tgt=[[span()], [span(), span()]])
    if task in ('dvc', 'slc'):
        spans = sorted([span(), span()])
        return dict(tgt=spans, g=[f'{w}.' for w in words[:len(spans)]])
    return dict(tgt=sorted([span(), span()]))  # tal, evs


def make_etbench_fixture(root: str | Path, per_task: int = 1, seed: int = 0) -> Path:
    """Write ``root/etbench_vid_v1.0.json`` in the exact ETBench ``vid`` schema over the real
    offline videos (linked into ``root/videos/<source>/``); returns the annotation path.

    ``per_task`` samples of each of the 12 tasks, alternating between two sources per
    task; spans are random but inside each video's true duration. Sources and prompts are
    stand-ins with ETBench's shape, not its text.
    """
    from mmcontrast.assets import video_paths

    from .datasets import video_duration
    from .etbench import TASKS
    root = Path(root)
    rng = np.random.default_rng(seed)
    videos = sorted((name, path) for name, path in video_paths().items()
                    if name in ('bikes', 'bigbuckbunny', 'carphone'))
    durations = {name: round(video_duration(path), 3) for name, path in videos}
    samples = []
    for task in TASKS:
        sources, prompt = _ETBENCH_PROMPTS[task]
        for k in range(per_task):
            name, path = videos[len(samples) % len(videos)]
            source = sources[k % 2]
            link = root / 'videos' / source / f'{name}{path.suffix}'
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(path)
            sample = dict(version=1.0, idx=len(samples), task=task, source=source,
                          video=f'{source}/{link.name}', duration=durations[name])
            sample.update(_etbench_targets(task, durations[name], rng))
            words = list(_ETBENCH_WORDS)
            sample['q'] = prompt.format(*words, x=words[k % len(words)])
            samples.append(sample)
    path = root / 'etbench_vid_v1.0.json'
    write_json_atomic(path, samples, indent=1)
    return path
