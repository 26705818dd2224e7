"""Build ETSum-style annotations from timestamped ones (thesis section 4.3.5).

For each ground-truth segment a video captioner describes the segment conditioned
on the query; a text LLM then condenses a sample's captions into concise, coherent
per-segment summaries. Tasks that already carry segment captions (dense video
captioning, step localisation) keep them. Backends are pluggable:

* :class:`HFTextBackend` - a local Hugging Face causal LM (condensing);
* :class:`HFVideoCaptioner` - a local Hugging Face image-text-to-text model fed
  the segment's frames (captioning);
* :class:`OpenAICompatibleBackend` - any OpenAI-compatible chat endpoint whose
  base URL you give (both roles; frames are sent as base64 JPEG images).

Input: a JSON list in ETBench's layout (``video``, ``duration``, ``task``, ``q``,
``tgt`` = [[s1, e1], ...] seconds, optional ``g`` = captions, optional ``src`` =
the times the query's ``<vid>`` tokens refer to). Output: JSON lines, one ETSum
sample per line (``video``, ``duration``, ``task``, ``q``, ``segments``,
``summaries``, ``vid_times`` = ``src``); a rerun skips the samples already written
(resumable). Every sample is checked before any backend runs (a sample without
``video``/``q``/``tgt`` is named). A condenser answer with the wrong number of lines
is retried (``--retries``); a sample that still fails is skipped with a warning
and recorded in ``OUT.failed.jsonl`` (key + reason), and the next rerun tries it
again; the other samples are built.

    python -m mms2l.etsum_builder ANN.json VIDEO_ROOT OUT.jsonl \\
        --captioner hf:/models/MiniCPM-V-2_6 --condenser openai:BASE_URL:MODEL
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import urllib.request
import warnings
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from mmcontrast.errors import InputError, exit_on_input_error
from mmcontrast.fileio import read_json_lines, refuse_existing, write_text_atomic

from .errors import S2LInputError
from .etbench import vid_times
from .tokenization import VID_TOKEN

CAPTION_PROMPT = ('The user asked: "{query}". Describe what happens in these video frames '
                  '(seconds {start:.1f} to {end:.1f}), focusing on what is relevant to the question.')
CONDENSE_PROMPT = ('A video has {n} relevant segments for the request "{query}". Their detailed '
                   'descriptions are:\n{captions}\nRewrite them as {n} concise, coherent summaries, '
                   'one per line, in the same order, keeping the details that identify each '
                   'segment. Output only the {n} lines.')
CAPTIONED_TASKS = ('dvc', 'slc')


class Captioner(Protocol):
    def caption(self, frames: np.ndarray, prompt: str) -> str:
        """frames (T, H, W, 3) uint8 of one segment -> its description."""


class Condenser(Protocol):
    def complete(self, prompt: str) -> str:
        """A text prompt -> the model's answer."""


class HFTextBackend:
    """A local causal LM with a chat template, greedy decoding."""

    def __init__(self, path: str, max_new_tokens: int = 256) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path).eval()
        self.max_new_tokens = max_new_tokens

    def complete(self, prompt: str) -> str:
        ids = self.tokenizer.apply_chat_template([{'role': 'user', 'content': prompt}],
                                                 add_generation_prompt=True, return_tensors='pt',
                                                 return_dict=True)
        out = self.model.generate(**ids, max_new_tokens=self.max_new_tokens, do_sample=False)
        return self.tokenizer.decode(out[0, ids['input_ids'].shape[1]:], skip_special_tokens=True)


class HFVideoCaptioner:
    """A local image-text-to-text model (``transformers.pipeline``) fed the frames as images."""

    def __init__(self, path: str, max_new_tokens: int = 128) -> None:
        from transformers import pipeline
        self.pipe = pipeline('image-text-to-text', model=path)
        self.max_new_tokens = max_new_tokens

    def caption(self, frames: np.ndarray, prompt: str) -> str:
        from PIL import Image
        content = [{'type': 'image', 'image': Image.fromarray(f)} for f in frames]
        content.append({'type': 'text', 'text': prompt})
        out = self.pipe(text=[{'role': 'user', 'content': content}],
                        max_new_tokens=self.max_new_tokens, return_full_text=False)
        return out[0]['generated_text']


class OpenAICompatibleBackend:
    """Chat completions at ``<base_url>/chat/completions``; the key comes from ``api_key_env``."""

    def __init__(self, base_url: str, model: str, api_key_env: str = 'OPENAI_API_KEY',
                 timeout: float = 120.0) -> None:
        self.url = base_url.rstrip('/') + '/chat/completions'
        self.model, self.key_env, self.timeout = model, api_key_env, timeout

    def _chat(self, content: list[dict] | str) -> str:
        body = json.dumps(dict(model=self.model, temperature=0,
                               messages=[{'role': 'user', 'content': content}])).encode()
        headers = {'Content-Type': 'application/json'}
        if os.environ.get(self.key_env):
            headers['Authorization'] = f'Bearer {os.environ[self.key_env]}'
        request = urllib.request.Request(self.url, data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())['choices'][0]['message']['content']

    def complete(self, prompt: str) -> str:
        return self._chat(prompt)

    def caption(self, frames: np.ndarray, prompt: str) -> str:
        from PIL import Image
        content: list[dict] = []
        for frame in frames:
            buf = io.BytesIO()
            Image.fromarray(frame).save(buf, format='JPEG', quality=85)
            url = 'data:image/jpeg;base64,' + base64.b64encode(buf.getvalue()).decode()
            content.append({'type': 'image_url', 'image_url': {'url': url}})
        content.append({'type': 'text', 'text': prompt})
        return self._chat(content)


def parse_segments(tgt: Sequence) -> list[list[float]]:
    """ETBench's ``tgt`` ([[s1, e1], ...] or flat [s1, e1, s2, e2, ...]) -> [[s1, e1], ...]."""
    if tgt and isinstance(tgt[0], (list, tuple)):
        tgt = [t for pair in tgt for t in pair]
    if len(tgt) % 2:
        raise ValueError(f'tgt must hold start/end pairs, got {len(tgt)} numbers')
    return [[float(tgt[i]), float(tgt[i + 1])] for i in range(0, len(tgt), 2)]


def parse_summaries(text: str, n: int) -> list[str]:
    """The condenser's answer -> exactly ``n`` non-empty lines (list markers stripped)."""
    lines = [line.strip().lstrip('-*0123456789.) ').strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) != n:
        raise ValueError(f'expected {n} summary lines, got {len(lines)}: {text!r}')
    return lines


def segment_frames(video: Path, start: float, end: float, num: int = 8) -> np.ndarray:
    """``num`` frames (num, H, W, 3) spread over [start, end] seconds."""
    from .datasets import decode_video
    times = start + (np.arange(num) + 0.5) * max(end - start, 1e-3) / num
    return decode_video(video, times)


def check_item(item: dict, where: str) -> list[list[float]]:
    """Validate one ETBench sample before any backend runs -> its segments [[s, e], ...]."""
    if not isinstance(item, dict):
        raise S2LInputError(f'{where}: expected an object, got {type(item).__name__}')
    missing = [key for key in ('video', 'q', 'tgt') if key not in item]
    if missing:
        raise S2LInputError(f'{where}: missing {", ".join(map(repr, missing))} (has {sorted(item)})')
    try:
        segments = parse_segments(item['tgt'])
    except (TypeError, ValueError) as err:
        raise S2LInputError(f'{where}: bad tgt {item["tgt"]!r} ({err})') from err
    if not segments:
        raise S2LInputError(f'{where}: tgt holds no segment')
    if item.get('task') in CAPTIONED_TASKS and item.get('g') and len(item['g']) != len(segments):
        raise S2LInputError(f'{where}: {len(item["g"])} captions, {len(segments)} segments')
    try:
        times = vid_times(item)
    except (TypeError, ValueError) as err:
        raise S2LInputError(f'{where}: src must hold seconds, got {item["src"]!r}') from err
    vids = str(item['q']).count(VID_TOKEN)
    if vids != len(times):
        raise S2LInputError(f'{where}: q has {vids} {VID_TOKEN} but src holds {len(times)} times')
    return segments


def condense(condenser: Condenser, prompt: str, n: int, retries: int) -> list[str]:
    """Ask ``condenser`` for ``n`` summary lines, asking again (``retries`` times) when
    the answer has another number of lines."""
    for _ in range(retries):
        try:
            return parse_summaries(condenser.complete(prompt), n)
        except ValueError:
            pass
    return parse_summaries(condenser.complete(prompt), n)


def needs_backends(item: dict) -> bool:
    """Whether a sample's summaries must be written by the captioner and condenser (it
    is not a captioning task that carries its captions ``g``)."""
    return not (item.get('task') in CAPTIONED_TASKS and item.get('g'))


def convert_sample(item: dict, video_root: Path, captioner: Captioner | None,
                   condenser: Condenser | None, where: str = 'sample', retries: int = 2) -> dict:
    """One timestamped sample -> one ETSum sample (``src`` kept as ``vid_times``)."""
    segments = check_item(item, where)
    task = item.get('task', '')
    if not needs_backends(item):
        summaries = [str(g) for g in item['g']]
    else:
        if captioner is None or condenser is None:
            raise S2LInputError(f'{where}: task {task!r} needs a captioner and a condenser '
                                '(--captioner, --condenser)')
        captions = [captioner.caption(segment_frames(video_root / item['video'], s, e),
                                      CAPTION_PROMPT.format(query=item['q'], start=s, end=e))
                    for s, e in segments]
        listed = '\n'.join(f'{i + 1}. {c.strip()}' for i, c in enumerate(captions))
        prompt = CONDENSE_PROMPT.format(n=len(segments), query=item['q'], captions=listed)
        try:
            summaries = condense(condenser, prompt, len(segments), retries)
        except ValueError as err:
            raise S2LInputError(f'{where}: {err} (after {retries + 1} attempts)') from err
    return dict(video=item['video'], duration=item.get('duration'), task=task, q=item['q'],
                segments=segments, summaries=summaries, vid_times=vid_times(item))


def build_etsum(ann_file: str | Path, video_root: str | Path, out_file: str | Path,
                captioner: Captioner | None, condenser: Condenser | None,
                retries: int = 2, overwrite: bool = False) -> Path:
    """Convert every sample of ``ann_file``, appending to ``out_file`` (JSON lines) and
    skipping samples whose key (``idx`` or position) it already holds. Samples the
    condenser cannot serve after ``retries`` go to ``OUT.failed.jsonl`` with a warning.
    An existing ``out_file`` is resumed only when it is this builder's output (every
    line a record with its ``key``); any other file is refused unless ``overwrite``
    (then replaced by this run's output)."""
    from tqdm import tqdm

    from .datasets import read_samples
    items = read_samples(ann_file, what='ETBench annotations')
    keys = [str(item.get('idx', pos)) if isinstance(item, dict) else str(pos)
            for pos, item in enumerate(items)]
    for key, item in zip(keys, items):  # every sample is checked before any backend runs
        check_item(item, f'{ann_file} sample {key}')
    needy = [key for key, item in zip(keys, items) if needs_backends(item)]
    if needy and (captioner is None or condenser is None):
        raise S2LInputError(f'{ann_file}: samples {needy[:5]} (of {len(needy)}) need a captioner '
                            'and a condenser (--captioner, --condenser)')
    out_file = Path(out_file)
    failed_file = out_file.with_name(out_file.stem + '.failed.jsonl')
    done = set() if overwrite else _done_keys(out_file)
    if overwrite and out_file.exists():
        write_text_atomic(out_file, '')
    failures = []
    with out_file.open('a') as out:
        for key, item in zip(tqdm(keys, desc='ETSum'), items):
            if key in done:
                continue
            try:
                sample = convert_sample(item, Path(video_root), captioner, condenser,
                                        f'{ann_file} sample {key}', retries)
            except S2LInputError as err:
                warnings.warn(f'{err}; skipped (recorded in {failed_file})')
                failures.append(dict(key=key, error=str(err)))
                continue
            out.write(json.dumps(dict(sample, key=key)) + '\n')
            out.flush()
    if failures or failed_file.is_file():  # this run's failures replace the last run's
        write_text_atomic(failed_file, ''.join(json.dumps(f) + '\n' for f in failures))
    return out_file


def _done_keys(out_file: Path) -> set[str]:
    """Keys already built in ``out_file`` (none when absent); a file that is not this
    builder's output is refused (``refuse_existing``'s message, naming --overwrite)."""
    if not out_file.exists():
        return set()
    try:
        records = read_json_lines(out_file, 'ETSum output') if out_file.is_file() else None
    except InputError:
        records = None
    if records is None or not all(isinstance(r, dict) and 'key' in r for r in records):
        refuse_existing(out_file, False, 'OUT_FILE')  # not ours: never appended to
    return {str(r['key']) for r in records}


def _backend(spec: str | None, role: str):
    """``hf:PATH`` or ``openai:BASE_URL:MODEL`` -> a backend for ``role``."""
    if spec is None:
        return None
    kind, _, rest = spec.partition(':')
    if kind == 'hf':
        return HFVideoCaptioner(rest) if role == 'captioner' else HFTextBackend(rest)
    if kind == 'openai':
        base_url, _, model = rest.rpartition(':')
        return OpenAICompatibleBackend(base_url, model)
    raise S2LInputError(f'unknown backend {spec!r}; use hf:PATH or openai:BASE_URL:MODEL')


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m mms2l.etsum_builder',
                                     description='Build ETSum annotations')
    parser.add_argument('ann_file')
    parser.add_argument('video_root')
    parser.add_argument('out_file')
    parser.add_argument('--captioner', help='hf:PATH or openai:BASE_URL:MODEL')
    parser.add_argument('--condenser', help='hf:PATH or openai:BASE_URL:MODEL')
    parser.add_argument('--retries', type=int, default=2,
                        help='re-ask the condenser this often when its line count is wrong')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing OUT_FILE instead of resuming it')
    args = parser.parse_args(argv)
    print(build_etsum(args.ann_file, args.video_root, args.out_file,
                      _backend(args.captioner, 'captioner'), _backend(args.condenser, 'condenser'),
                      args.retries, overwrite=args.overwrite))
    return 0


if __name__ == '__main__':
    raise SystemExit(exit_on_input_error(main, None, 'mms2l.etsum_builder'))
