"""``extract``: an eccv16-layout h5 from a folder of raw videos, with any backbone.

Each video becomes a group ``video_<i>`` (files sorted by name, ``i`` from 1) with
``features`` (n_steps, D) at the sampled frames, ``picks``, ``n_frames``,
``n_steps``, KTS ``change_points`` (S, 2, inclusive frame ranges),
``n_frame_per_seg`` and ``video_name`` (the file stem); the group's attributes
record the source file, backbone and sampling. Annotations (``user_summary``,
``gtscore``, ``gtsummary``) are copied from a reference h5 with
``annotations=``; without them :func:`mmvsumm.io.read_eccv16` cannot evaluate the
file until they are added.

Resumable and crash-safe: each video's features go to ``<out>.parts/`` as soon as
they are computed (atomically, see :mod:`mmvsumm.models.features`), the h5 is
assembled under a temporary name and moved onto ``out`` at the end, and a rerun
reuses the groups of an existing ``out`` whose source and settings match, and
the parts of an interrupted run.
"""
from __future__ import annotations

import shutil
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import VSummInputError
from .io.outputs import atomic_path
from .kts import change_points_to_segments, kts
from .models.backbones import DEFAULT_BACKBONE
from .models.features import VideoFeatures, cache_key, extract_features
from .summary import frame_scores, step_segments_to_shots

__all__ = ['VIDEO_SUFFIXES', 'ExtractReport', 'list_videos', 'video_arrays', 'extract_dataset']

VIDEO_SUFFIXES = ('.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.mpg', '.mpeg', '.ts',
                  '.flv', '.wmv', '.ogv', '.3gp', '.gif')
ANNOTATION_KEYS = ('user_summary', 'gtscore', 'gtsummary')


@dataclass
class ExtractReport:
    """What one :func:`extract_dataset` run did, by video file name."""

    out: Path
    extracted: list[str] = field(default_factory=list)  # decoded and encoded now
    reused: list[str] = field(default_factory=list)  # from ``out`` or an interrupted run
    keys: dict[str, str] = field(default_factory=dict)  # file name -> video_<i>


def list_videos(folder: str | Path) -> list[Path]:
    """Video files directly in ``folder`` (by suffix), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VSummInputError(f'{folder}: no such folder of videos')
    videos = sorted(p for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
                    and not p.name.startswith('.'))
    if not videos:
        raise VSummInputError(f'{folder}: no video files ({", ".join(VIDEO_SUFFIXES)})')
    return videos


def video_arrays(feats: VideoFeatures, name: str) -> dict[str, np.ndarray]:
    """The eccv16 datasets of one video, KTS shots included."""
    steps = len(feats.features)
    segments = change_points_to_segments(kts(feats.features), steps)
    shots = step_segments_to_shots(segments, feats.picks, feats.n_frames)
    return dict(features=feats.features.astype(np.float32), picks=feats.picks.astype(np.int64),
                n_frames=np.int64(feats.n_frames), n_steps=np.int64(steps),
                change_points=shots, n_frame_per_seg=shots[:, 1] - shots[:, 0] + 1,
                video_name=name)


def _reusable_groups(out: Path) -> dict[str, str]:
    """``source key -> group`` of an existing ``out`` written by this command."""
    import h5py
    if out.is_dir():
        raise VSummInputError(f'{out}: is a folder; --out must name the h5 file to write')
    if not out.exists():
        return {}
    try:
        with h5py.File(out, 'r') as handle:
            found = {handle[k].attrs.get('mmvsumm_source'): k for k in handle}
    except Exception as exc:  # h5py raises several types for non-h5 files
        raise VSummInputError(f'{out}: exists and is not an h5 file; remove it or choose '
                              f'another --out ({exc})') from exc
    if None in found:
        raise VSummInputError(f'{out}: exists and was not written by mmvsumm extract (group '
                              f'{found[None]} has no source record); choose another --out')
    return found


def _text(value) -> str:
    """An h5 string scalar (bytes or str, possibly in a 0-d or 1-element array)."""
    value = np.ravel(np.asarray(value, dtype=object))[0]
    return value.decode() if isinstance(value, bytes) else str(value)


def _annotations(reference, key: str, name: str, arrays: dict) -> dict[str, np.ndarray]:
    """``user_summary``, ``gtscore`` (held, then taken at our picks), ``gtsummary``
    of the reference group matching ``name`` (by ``video_name``) or else ``key``."""
    by_name = {_text(reference[k]['video_name'][()]): k
               for k in reference if 'video_name' in reference[k]}
    ref_key = by_name.get(name, key if not by_name else None)
    where = f'{reference.filename}: {ref_key or name}'
    if ref_key is None or ref_key not in reference:
        raise VSummInputError(f'{where}: no annotated video for {name}')
    group = reference[ref_key]
    missing = [k for k in ('user_summary', 'n_frames', 'picks') if k not in group]
    if missing:
        raise VSummInputError(f'{where}: has no {", ".join(missing)}')
    n_frames = int(np.ravel(group['n_frames'][()])[0])
    if n_frames != int(arrays['n_frames']):
        raise VSummInputError(f'{where}: n_frames={n_frames} but {name} decodes to '
                              f'{int(arrays["n_frames"])} frames')
    picks = arrays['picks']
    out = dict(user_summary=np.asarray(group['user_summary'][()], dtype=np.float32))
    for item in ('gtscore', 'gtsummary'):
        if item in group:
            held = frame_scores(group[item][()], group['picks'][()], n_frames)
            out[item] = held[picks].astype(np.float32)
    return out


def extract_dataset(video_dir: str | Path, out: str | Path, backbone: str = DEFAULT_BACKBONE,
                    weights: str | Path | None = None, every: int = 15,
                    fps: float | None = None, size: int = 224,
                    annotations: str | Path | None = None, strict: bool = False,
                    progress: bool = True) -> ExtractReport:
    """Write the eccv16 h5 ``out`` for every video in ``video_dir`` (see the module doc).

    ``every=15`` samples about 2 fps from 30 fps sources, the h5 convention;
    ``fps=2`` samples at exactly 2 per second instead.
    """
    import h5py
    from tqdm import tqdm
    out = Path(out)
    videos = list_videos(video_dir)
    weights = Path(weights) if weights else None
    reusable = _reusable_groups(out)
    parts = out.with_name(out.name + '.parts')
    report = ExtractReport(out)
    try:
        reference = h5py.File(annotations, 'r') if annotations else None
    except Exception as exc:  # h5py raises several types for missing or non-h5 files
        raise VSummInputError(f'{annotations}: cannot open as an h5 file ({exc})') from exc
    try:
        with atomic_path(out) as tmp, h5py.File(tmp, 'w') as handle, \
                (h5py.File(out, 'r') if reusable else nullcontext()) as previous:
            for index, video in enumerate(tqdm(videos, desc='extract', unit='video',
                                               disable=not progress), start=1):
                key = f'video_{index}'
                report.keys[video.name] = key
                source = cache_key(video, backbone, weights, every, fps, size)
                if source in reusable:
                    previous.copy(previous[reusable[source]], handle, name=key)
                    report.reused.append(video.name)
                    group = handle[key]
                    arrays = {k: group[k][()] for k in ('n_frames', 'picks')}
                else:
                    feats = extract_features(video, backbone, weights, every, fps, size,
                                             cache_dir=parts, progress=False, strict=strict)
                    (report.reused if feats.from_cache else report.extracted).append(video.name)
                    arrays = video_arrays(feats, video.stem)
                    group = handle.create_group(key)
                    group.update(arrays)
                    group.attrs.update(mmvsumm_source=source, file=video.name,
                                       backbone=backbone, every=every, fps=fps or 0.0,
                                       size=size, video_fps=feats.fps)
                if reference is not None and 'user_summary' not in group:
                    group.update(_annotations(reference, key, video.stem, arrays))
    finally:
        if reference is not None:
            reference.close()
    shutil.rmtree(parts, ignore_errors=True)
    return report

