"""Per-video frame features with an on-disk cache (a second run is instant)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from mmcontrast.fileio import sweep_stale_temporaries

from ..io.feature_cache import read_feature_cache, write_feature_cache
from ..io.outputs import output_folder
from ..io.video import VideoSampler, open_video_stream, report_partial
from .backbones import DEFAULT_BACKBONE, build_backbone

__all__ = ['VideoFeatures', 'extract_features', 'cache_key']

_CACHE_VERSION = 3  # 3: each frame's timestamp stored


@dataclass(frozen=True)
class VideoFeatures:
    """Sampled-frame features of one video."""

    features: np.ndarray  # (n_steps, D) float32
    picks: np.ndarray  # (n_steps,) frame indices
    n_frames: int
    fps: float  # the stream's average rate (reported only)
    times: np.ndarray  # (n_frames + 1,) each frame's timestamp from the first, then the end
    from_cache: bool = False


def _file_id(path: Path) -> dict:
    stat = path.stat()
    return dict(path=str(path.resolve()), size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def cache_key(video: Path, backbone: str, weights: Path | None, every: int,
              fps: float | None, size: int) -> str:
    """Hash of everything the features depend on."""
    spec = dict(version=_CACHE_VERSION, video=_file_id(video), backbone=backbone,
                weights=_file_id(weights) if weights else None, every=every, fps=fps,
                size=size)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def _default_cache_dir() -> Path:
    from mmcontrast.assets import cache_dir
    return cache_dir() / 'mmvsumm-features'


def extract_features(video: str | Path, backbone: str = DEFAULT_BACKBONE,
                     weights: str | Path | None = None, every: int = 15,
                     fps: float | None = None, size: int = 224, batch_size: int = 16,
                     cache_dir: str | Path | None = None,
                     progress: bool = True, strict: bool = False) -> VideoFeatures:
    """Decode ``video``, sample frames and encode them with ``backbone``.

    Frames are taken every ``every`` frames (15 = the h5 convention, about 2 fps)
    or at ``fps`` when given, resized to ``size`` x ``size``. Results are cached in
    ``cache_dir`` (default ``<mmcontrast cache>/mmvsumm-features``) under a hash of
    the file identity and every setting. A video that decodes only partly is
    encoded up to where it breaks, with a warning; ``strict`` makes that an error.
    """
    from tqdm import tqdm
    video = Path(video)
    weights = Path(weights) if weights else None
    sampler = VideoSampler(video, every, fps, size, strict)  # validates the sampling arguments
    open_video_stream(video)[0].close()  # a missing, corrupt or audio-only file fails here
    folder = output_folder(Path(cache_dir) if cache_dir else _default_cache_dir())
    sweep_stale_temporaries(folder)  # left by a killed run
    cached = folder / f'{cache_key(video, backbone, weights, every, fps, size)}.npz'
    hit = read_feature_cache(cached)
    if hit is not None:
        report_partial(hit['partial'], strict)
        return VideoFeatures(hit['features'], hit['picks'], hit['n_frames'], hit['fps'],
                             hit['times'], from_cache=True)
    encoder = build_backbone(backbone, weights)
    chunks, batch = [], []

    def flush() -> None:
        rgb = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).float() / 255.0
        chunks.append(encoder(rgb).numpy().astype(np.float32))
        batch.clear()

    for _, rgb in tqdm(sampler, desc=f'decode+encode {video.name}', unit='sample',
                       disable=not progress):
        batch.append(rgb)
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    result = VideoFeatures(np.concatenate(chunks), np.asarray(sampler.picks, dtype=np.int64),
                           sampler.n_frames, sampler.video_fps, sampler.times)
    write_feature_cache(cached, result.features, result.picks, result.times, result.fps,
                        sampler.partial)
    return result
