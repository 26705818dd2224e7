"""Pipeline steps for ETSum-style samples: load frames, resize/crop, build the token sequence."""
from __future__ import annotations

import math
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..registry import TRANSFORMS
from ..tokenization import (FRAME_TOKEN, LOC_TOKEN, VID_TOKEN, build_prompt, load_tokenizer,
                            token_ids)


def sample_times(duration: float, fps: float, max_frames: int) -> np.ndarray:
    """Centre times (T,) of frames sampled at ``fps``; at most ``max_frames``, spread
    uniformly over the video when it is longer (then each frame covers duration / T)."""
    if duration <= 0 or fps <= 0 or max_frames <= 0:
        raise ValueError(f'need duration, fps, max_frames > 0, got {duration}, {fps}, {max_frames}')
    count = min(max(1, int(round(duration * fps))), max_frames)
    return (np.arange(count) + 0.5) * duration / count


def open_video(path: str | Path):
    """The PyAV container of ``path``; a missing or undecodable file is named."""
    import av
    if not Path(path).is_file():
        raise FileNotFoundError(f'{path}: no such video file')
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as err:
        raise ValueError(f'{path}: cannot open as a video ({err})') from err
    if not container.streams.video:
        container.close()
        raise ValueError(f'{path}: no video stream')
    return container


def video_duration(path: str | Path) -> float:
    """Duration in seconds from the container metadata (PyAV)."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / 1e6
    raise ValueError(f'{path}: the container does not state its duration')


def decode_video(path: str | Path, times: np.ndarray) -> np.ndarray:
    """Stream-decode a video with PyAV keeping the frame shown at each of ``times``
    (sorted seconds) -> frames (T, H, W, 3) uint8. Only the kept frames are stored."""
    import av
    kept: list[np.ndarray] = []
    with open_video(path) as container:
        stream = container.streams.video[0]
        start = None
        previous = None
        try:
            for frame in container.decode(stream):
                t = float(frame.time or 0.0)
                start = t if start is None else start
                while (len(kept) < len(times) and t - start > times[len(kept)]
                       and previous is not None):
                    kept.append(previous)
                if len(kept) == len(times):
                    break
                previous = frame.to_ndarray(format='rgb24')
        except av.error.FFmpegError as err:
            raise ValueError(f'{path}: decoding failed after {len(kept)} kept frames '
                             f'({err})') from err
        if previous is None:
            raise ValueError(f'{path}: the video has zero decodable frames')
        kept.extend([previous] * (len(times) - len(kept)))
    return np.stack(kept)


def sample_name(results: dict) -> str:
    """How errors name a sample: its index and video."""
    return f"sample {results.get('idx')} ({results.get('video_path')})"


def check_hwc_frames(frames: np.ndarray, where: str) -> None:
    """Frames must be (T, H, W, 3) uint8 RGB: a missing or other channel axis is refused."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        hint = ' (no channel axis?)' if frames.ndim == 3 else ''
        raise ValueError(f'{where}: frames must be (T, H, W, 3) RGB, got shape '
                         f'{tuple(frames.shape)}{hint}')


def load_frames_array(path: Path) -> np.ndarray:
    """A ``.npy`` of frames (T, H, W, 3) uint8 or finite float features (T, K, C);
    anything else is an error naming the file."""
    try:
        frames = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f'{path}: cannot read as a .npy array ({err})') from err
    if frames.ndim == 0 or len(frames) == 0:
        raise ValueError(f'{path}: zero frames')
    if frames.dtype == np.uint8:
        check_hwc_frames(frames, str(path))
    elif frames.dtype.kind != 'f':
        raise ValueError(f'{path}: expected uint8 frames or float features, got {frames.dtype}')
    elif not np.isfinite(frames).all():
        raise ValueError(f'{path}: the features contain NaN or infinite values')
    return frames


@TRANSFORMS.register_module()
class LoadVideoFrames:
    """Load ``results['video_path']`` sampled at ``fps`` (at most ``max_frames``).

    Videos are decoded with PyAV; ``.npy`` files hold frames (T, H, W, 3) uint8 or
    float features (T, K, C) already at ``results['fps']`` (default ``fps``); uint8
    arrays of another shape (e.g. grey frames without a channel axis) are refused. Adds
    ``frames`` and ``sec_per_frame`` (seconds covered by one sampled frame).
    """

    def __init__(self, fps: float = 1.0, max_frames: int = 350) -> None:
        self.fps, self.max_frames = fps, max_frames

    def __call__(self, results: dict) -> dict:
        path = Path(results['video_path'])
        duration = results.get('duration')
        if duration is not None and not (isinstance(duration, (int, float))
                                         and math.isfinite(duration) and duration > 0):
            raise ValueError(f'{sample_name(results)}: duration must be a positive number of '
                             f'seconds, got {duration!r}')
        if path.suffix == '.npy':
            frames = load_frames_array(path)
            duration = duration or len(frames) / results.get('fps', self.fps)
            times = sample_times(duration, self.fps, self.max_frames)
            index = np.minimum((times / duration * len(frames)).astype(int), len(frames) - 1)
            frames = frames[index]
        else:
            duration = duration or video_duration(path)
            times = sample_times(duration, self.fps, self.max_frames)
            frames = decode_video(path, times)
        results.update(frames=frames, duration=float(duration),
                       sec_per_frame=float(duration) / len(frames))
        return results


@TRANSFORMS.register_module()
class ResizeCenterCrop:
    """Frames (T, H, W, 3) uint8 -> (T, 3, size, size) uint8: short side to ``size``, centre crop."""

    def __init__(self, size: int = 224) -> None:
        self.size = size

    def __call__(self, results: dict) -> dict:
        check_hwc_frames(np.asarray(results['frames']), sample_name(results))
        frames = torch.as_tensor(np.ascontiguousarray(results['frames'])).permute(0, 3, 1, 2)
        h, w = frames.shape[-2:]
        scale = self.size / min(h, w)
        nh, nw = max(self.size, round(h * scale)), max(self.size, round(w * scale))
        resized = F.interpolate(frames.float(), size=(nh, nw), mode='bilinear',
                                antialias=True, align_corners=False)
        top, left = (nh - self.size) // 2, (nw - self.size) // 2
        crop = resized[..., top:top + self.size, left:left + self.size]
        results['frames'] = crop.round().clamp(0, 255).to(torch.uint8)
        return results


@lru_cache(maxsize=4)
def _cached_tokenizer(path: str, gguf_file: str | None):
    return load_tokenizer(path, gguf_file)


def seconds_to_frames(segments: np.ndarray, sec_per_frame: float, num_frames: int) -> np.ndarray:
    """Spans in seconds (M, 2) -> inclusive frame indices (M, 2) of the frames they overlap."""
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    if (segments[:, 1] < segments[:, 0]).any():
        raise ValueError(f'segments must have start <= end, got {segments.tolist()}')
    start = np.floor(segments[:, 0] / sec_per_frame)
    end = np.maximum(start, np.ceil(segments[:, 1] / sec_per_frame) - 1)
    return np.clip(np.stack([start, end], 1), 0, num_frames - 1).astype(np.int64)


def _slack(duration: float) -> float:
    """How far past [0, duration] a time may lie from rounding alone (seconds)."""
    return 1e-6 * max(1.0, duration)


def check_spans(segments: np.ndarray, duration: float, where: str,
                clip: bool = False) -> np.ndarray:
    """Ground-truth spans (M, 2) seconds must be finite, ordered and inside [0, duration].

    A span outside the video is an error naming ``where``; with ``clip`` it is
    clipped to the video with a warning instead (a span wholly outside stays an
    error). Never moved silently onto the edge frames.
    """
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(segments).all() or (segments[:, 1] < segments[:, 0]).any():
        raise ValueError(f'{where}: spans must be finite with start <= end, '
                         f'got {segments.tolist()}')
    tol = _slack(duration)
    outside = (segments[:, 0] < -tol) | (segments[:, 1] > duration + tol)
    if not outside.any():
        return segments
    message = (f'{where}: spans {segments[outside].tolist()} lie outside the video '
               f'[0, {duration:g}] s')
    beyond = (segments[:, 1] <= 0) | (segments[:, 0] >= duration)
    if not clip or beyond.any():
        raise ValueError(message + ('' if clip else '; pass clip_spans=True to clip them'))
    warnings.warn(message + '; clipped to the video (clip_spans=True)')
    return np.clip(segments, 0.0, duration)


def vid_frame_indices(vid_times: Sequence[float], query: str, sec_per_frame: float,
                      num_frames: int, where: str) -> np.ndarray:
    """Times (n,) of the query's ``<vid>`` references -> frame indices (n,).

    The query needs exactly one time per ``<vid>``, each inside the video.
    """
    times = np.asarray(vid_times, dtype=np.float64).reshape(-1)
    count = query.count(VID_TOKEN)
    if count != len(times):
        raise ValueError(f'{where}: the query has {count} {VID_TOKEN} but {len(times)} '
                         f'vid_times are given (query {query!r})')
    duration = sec_per_frame * num_frames
    late = times > duration + _slack(duration)
    if not np.isfinite(times).all() or (times < 0).any() or late.any():
        raise ValueError(f'{where}: vid_times {times.tolist()} lie outside the video '
                         f'[0, {duration:g}] s')
    return np.minimum(times // sec_per_frame, num_frames - 1).astype(np.int64)


def answer_text(summaries: Sequence[str]) -> str:
    """The training answer: every summary closed by ``<loc>`` with no space before it.

    ``'a cat.<loc> a dog.<loc>'``: a space before ``<loc>`` would be its own token in
    byte-level BPE tokenizers (``... | . | ␣ | <loc>``), so the state that predicts
    ``<loc>`` (``loc_hidden='emit'``) would always sit on that same whitespace token."""
    return ' '.join(f'{s.strip()}{LOC_TOKEN}' for s in summaries)


@TRANSFORMS.register_module()
class FormatS2LInputs:
    """Build the token sequence and the packed sample.

    Prompt: the tokenizer's chat template around ``<frame>\\n{query}``, the single
    ``<frame>`` then expanded to one token per frame. Answer (when ``summaries``
    exist): each summary closed by ``<loc>`` written right after its last character
    (no space, so the token before ``<loc>`` is the summary's last content token, not
    a whitespace token), then end-of-sequence; prompt tokens get label -100.
    ``<vid>`` tokens in the query refer to ``vid_times`` (seconds).

    ``caption_prompt`` turns a sample into a captioning sample (stage A, alignment):
    the query is replaced by that prompt, the answer is the sample's ``caption`` (else
    its summaries joined) with no ``<loc>``, and the sample has no ground-truth spans.

    Args:
        tokenizer: kwargs of :func:`load_tokenizer` (``path``, ``gguf_file``).
        with_answer: append the answer (training); off for generation.
        qformer_tokenizer: optional kwargs for the Q-Former's own tokenizer
            (``AutoTokenizer.from_pretrained(path)``); the query conditions the Q-Former.
        clip_spans: clip ground-truth spans that stick out of the video, with a
            warning, instead of refusing the sample (see :func:`check_spans`).
        caption_prompt: when given, build a captioning sample with this prompt
            (see above).
    """

    def __init__(self, tokenizer: dict, with_answer: bool = True,
                 qformer_tokenizer: dict | None = None, clip_spans: bool = False,
                 caption_prompt: str | None = None) -> None:
        self.tokenizer_cfg = (tokenizer['path'], tokenizer.get('gguf_file'))
        self.with_answer = with_answer
        self.clip_spans = clip_spans
        self.caption_prompt = caption_prompt
        self.qformer_path = qformer_tokenizer['path'] if qformer_tokenizer else None

    def __call__(self, results: dict) -> dict:
        if self.caption_prompt is not None:
            caption = results.get('caption') or ' '.join(
                s.strip() for s in results.get('summaries') or [])
            results = dict(results, query=self.caption_prompt, segments=[], vid_times=[],
                           caption=caption)
        tokenizer = _cached_tokenizer(*self.tokenizer_cfg)
        ids = token_ids(tokenizer)
        frames = results['frames']
        num_frames = len(frames)
        where = sample_name(results)
        if num_frames == 0:
            raise ValueError(f'{where}: zero frames')
        prompt = build_prompt(tokenizer, f"{FRAME_TOKEN}\n{results['query']}")
        prompt_ids = tokenizer(prompt, add_special_tokens=False)['input_ids']
        if prompt_ids.count(ids.frame) != 1:
            raise ValueError(f'the prompt must contain exactly one {FRAME_TOKEN}: {prompt!r}')
        at = prompt_ids.index(ids.frame)
        prompt_ids = prompt_ids[:at] + [ids.frame] * num_frames + prompt_ids[at + 1:]
        answer_ids: list[int] = []
        summaries = results.get('summaries') or []
        if self.with_answer:
            answer = results['caption'] if self.caption_prompt is not None else answer_text(summaries)
            answer_ids = tokenizer(answer, add_special_tokens=False)['input_ids'] + [ids.eos[0]]
        input_ids = torch.tensor(prompt_ids + answer_ids, dtype=torch.long)
        labels = input_ids.clone()
        labels[:len(prompt_ids)] = -100
        spf = results['sec_per_frame']
        segments = check_spans(results.get('segments') or np.zeros((0, 2)), results['duration'],
                               where, self.clip_spans)
        vid_frames = vid_frame_indices(results.get('vid_times') or [], results['query'], spf,
                                       num_frames, where)
        inputs = dict(frames=torch.as_tensor(frames), input_ids=input_ids, labels=labels,
                      vid_frames=torch.as_tensor(vid_frames, dtype=torch.long))
        if self.qformer_path is not None:
            q_tok = _cached_qformer_tokenizer(self.qformer_path)
            inputs['qformer_ids'] = torch.tensor(q_tok(results['query'])['input_ids'])
        sample = dict(idx=results.get('idx'), task=results.get('task'), query=results['query'],
                      video=str(results.get('video_path')), duration=results['duration'],
                      sec_per_frame=spf, prompt_length=len(prompt_ids), num_frames=num_frames,
                      gt_segments=segments.reshape(-1, 2),
                      spans=seconds_to_frames(segments, spf, num_frames))
        return dict(inputs=inputs, data_sample=sample)


@lru_cache(maxsize=2)
def _cached_qformer_tokenizer(path: str):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(path)
