"""``extract``: an eccv16-layout h5 from a folder of raw videos, with any backbone.

Each video becomes a group ``video_<i>`` (files sorted by name, ``i`` from 1) with
``features`` (n_steps, D) at the sampled frames, ``picks``, ``n_frames``,
``n_steps``, KTS ``change_points`` (S, 2, inclusive frame ranges; penalty weight
``kts_vmax``, at most ``max_shot_seconds`` long, see :func:`mmvsumm.shots.video_shots`),
``n_frame_per_seg``, ``video_name`` (the file stem) and ``frame_times`` (each
frame's timestamp, then the end; (n_frames + 1,)); the group's attributes record
the source file, backbone, sampling and shot settings, and ``mmvsumm_datasets``
the datasets this command wrote. Annotations (``user_summary``, ``gtscore``,
``gtsummary``) are copied from a reference h5 with ``annotations=``; without them
:func:`mmvsumm.io.read_eccv16` cannot evaluate the file until they are added.

Resumable and crash-safe: each video's features go to ``<out>.parts/`` (a folder
this command creates and marks with :data:`PARTS_MARKER`; an unmarked folder of
that name is refused, never used or removed) as soon as they are computed, the h5
is assembled under a temporary name and moved onto ``out`` at the end, and a rerun
reuses the groups of an existing ``out`` whose source and settings match, and the
parts of an interrupted run. Temporaries of a killed run are swept.

Nothing a user added to ``out`` is lost on a rebuild: datasets and attributes of a
group that this command did not write (e.g. a hand-added ``user_summary`` or
``gtscore``), attributes of the file and items outside the ``video_<i>`` groups are
copied into the new file. When a group holding such datasets must be re-extracted
on other frames (its video or sampling changed) or its video is gone, the rebuild
is refused, naming them.
"""
from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mmcontrast.fileio import atomic_path, is_own_temporary, sweep_stale_temporaries

from .errors import VSummInputError
from .models.backbones import DEFAULT_BACKBONE
from .models.features import VideoFeatures, cache_key, extract_features
from .shots import video_shots
from .summary import frame_scores

__all__ = ['VIDEO_SUFFIXES', 'PARTS_MARKER', 'ExtractReport', 'list_videos', 'video_arrays',
           'extract_dataset']

VIDEO_SUFFIXES = ('.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.mpg', '.mpeg', '.ts',
                  '.flv', '.wmv', '.ogv', '.3gp', '.gif')
ANNOTATION_KEYS = ('user_summary', 'gtscore', 'gtsummary')
OWN_DATASETS = ('features', 'picks', 'n_frames', 'n_steps', 'change_points',
                'n_frame_per_seg', 'video_name', 'frame_times')
SHOT_DATASETS = ('change_points', 'n_frame_per_seg')
OWN_ATTRS = ('mmvsumm_source', 'mmvsumm_datasets', 'file', 'backbone', 'every', 'fps', 'size',
             'video_fps', 'kts_vmax', 'max_shot_seconds')
PARTS_MARKER = '.mmvsumm-extract-parts'  # inside <out>.parts/: this command created it
_PART_RE = re.compile(r'^[0-9a-f]{32}\.npz$')  # the feature cache's file names


@dataclass
class ExtractReport:
    """What one :func:`extract_dataset` run did, by video file name."""

    out: Path
    extracted: list[str] = field(default_factory=list)  # decoded and encoded now
    reused: list[str] = field(default_factory=list)  # from ``out`` or an interrupted run
    keys: dict[str, str] = field(default_factory=dict)  # file name -> video_<i>
    kept: list[str] = field(default_factory=list)  # items a user added, carried over


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


def video_arrays(feats: VideoFeatures, name: str, kts_vmax: float = 1.0,
                 max_shot_seconds: float | None = None) -> dict[str, np.ndarray]:
    """The eccv16 datasets of one video, KTS shots and frame times included."""
    shots = video_shots(feats.features, feats.picks, feats.times, kts_vmax, max_shot_seconds)
    return dict(features=feats.features.astype(np.float32), picks=feats.picks.astype(np.int64),
                n_frames=np.int64(feats.n_frames), n_steps=np.int64(len(feats.features)),
                change_points=shots, n_frame_per_seg=shots[:, 1] - shots[:, 0] + 1,
                video_name=name, frame_times=feats.times.astype(np.float64))


def _own_items(group) -> set[str]:
    """Datasets of a group that ``extract`` wrote (recorded since ``mmvsumm_datasets``;
    before that, the fixed layout without annotations)."""
    written = group.attrs.get('mmvsumm_datasets')
    return set(OWN_DATASETS) if written is None else {_text(v) for v in np.ravel(written)}


def _user_items(group) -> list[str]:
    return sorted(set(group) - _own_items(group))


def _previous(out: Path) -> dict[str, str]:
    """``video file name -> group`` of an existing ``out`` written by this command."""
    import h5py
    if out.is_dir():
        raise VSummInputError(f'{out}: is a folder; --out must name the h5 file to write')
    if not out.exists():
        return {}
    try:
        with h5py.File(out, 'r') as handle:
            found = {_text(handle[k].attrs['file']): k for k in handle
                     if isinstance(handle[k], h5py.Group) and 'mmvsumm_source' in handle[k].attrs}
            empty = len(handle) == 0
    except Exception as exc:  # h5py raises several types for non-h5 files
        raise VSummInputError(f'{out}: exists and is not an h5 file; remove it or choose '
                              f'another --out ({exc})') from exc
    if not found and not empty:
        raise VSummInputError(f'{out}: exists and was not written by mmvsumm extract (no '
                              'group has a source record); choose another --out')
    return found


def _parts_folder(out: Path) -> Path:
    """``<out>.parts``, created and marked here; an existing unmarked one is refused."""
    parts = out.with_name(out.name + '.parts')
    if parts.exists() or parts.is_symlink():
        if parts.is_symlink() or not parts.is_dir() or not (parts / PARTS_MARKER).is_file():
            raise VSummInputError(f'{parts}: exists and was not created by mmvsumm extract '
                                  f'(no {PARTS_MARKER} inside); move it or choose another --out')
        return parts
    parts.mkdir(parents=True)
    (parts / PARTS_MARKER).write_text('created by mmvsumm extract; removed when it finishes\n')
    return parts


def _remove_parts(parts: Path) -> None:
    """Remove the files this command put in ``parts`` (feature files, its marker and
    temporaries), then the folder if nothing else is in it."""
    for entry in parts.iterdir():
        if entry.is_file() and not entry.is_symlink() and (
                _PART_RE.match(entry.name) or entry.name == PARTS_MARKER
                or is_own_temporary(entry)):
            entry.unlink()
    if not any(parts.iterdir()):
        parts.rmdir()


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


def _check_carry_over(out: Path, previous, found: dict[str, str], plan: dict) -> None:
    """Refuse a rebuild that would drop datasets a user added (see the module doc):
    ``plan`` maps each previous group to ``None`` (its video is gone) or to the
    ``(n_frames, picks)`` it will have."""
    for name, key in found.items():
        group = previous[key]
        mine = _user_items(group)
        if not mine or name not in plan:
            if mine:
                raise VSummInputError(
                    f'{out}: {key} ({name}) holds datasets mmvsumm extract did not write '
                    f'({", ".join(mine)}) but its video is no longer in the folder; put the '
                    'video back, move those datasets, or choose another --out')
            continue
        frames = plan[name]
        if frames is not None and (int(np.ravel(group['n_frames'][()])[0]) != frames[0] or
                                   not np.array_equal(group['picks'][()], frames[1])):
            raise VSummInputError(
                f'{out}: {key} ({name}) must be re-extracted on other frames (its video or '
                f'sampling changed) but holds datasets mmvsumm extract did not write '
                f'({", ".join(mine)}) that refer to the old frames; move them or choose '
                'another --out')


def extract_dataset(video_dir: str | Path, out: str | Path, backbone: str = DEFAULT_BACKBONE,
                    weights: str | Path | None = None, every: int = 15,
                    fps: float | None = None, size: int = 224,
                    annotations: str | Path | None = None, strict: bool = False,
                    progress: bool = True, kts_vmax: float = 1.0,
                    max_shot_seconds: float | None = None) -> ExtractReport:
    """Write the eccv16 h5 ``out`` for every video in ``video_dir`` (see the module doc).

    ``every=15`` samples about 2 fps from 30 fps sources, the h5 convention;
    ``fps=2`` samples at exactly 2 per second instead (by the frames' timestamps).
    """
    import h5py
    from tqdm import tqdm
    out = Path(out)
    videos = list_videos(video_dir)
    weights = Path(weights) if weights else None
    found = _previous(out)
    report = ExtractReport(out)
    try:
        reference = h5py.File(annotations, 'r') if annotations else None
    except Exception as exc:  # h5py raises several types for missing or non-h5 files
        raise VSummInputError(f'{annotations}: cannot open as an h5 file ({exc})') from exc
    shot_attrs = dict(kts_vmax=float(kts_vmax), max_shot_seconds=float(max_shot_seconds or 0))
    sources = {v.name: cache_key(v, backbone, weights, every, fps, size) for v in videos}
    with ExitStack() as stack:
        if reference is not None:
            stack.callback(reference.close)
        previous = stack.enter_context(h5py.File(out, 'r')) if found else None
        parts = _parts_folder(out)
        sweep_stale_temporaries(out.parent)  # a killed run's temporary h5
        tmp = stack.enter_context(atomic_path(out))
        handle = stack.enter_context(h5py.File(tmp, 'w'))
        if previous is not None:
            _copy_foreign(out, previous, handle, found, [v.name for v in videos], report)
        for index, video in enumerate(tqdm(videos, desc='extract', unit='video',
                                           disable=not progress), start=1):
            key = f'video_{index}'
            report.keys[video.name] = key
            old = previous[found[video.name]] if video.name in found else None
            if old is not None and _text(old.attrs['mmvsumm_source']) == sources[video.name] \
                    and 'frame_times' in old:
                previous.copy(old, handle, name=key)
                report.reused.append(video.name)
                group = handle[key]
                if any(group.attrs.get(k) != v for k, v in shot_attrs.items()):
                    _reshoot(group, kts_vmax, max_shot_seconds)
                    group.attrs.update(shot_attrs)
            else:
                feats = extract_features(video, backbone, weights, every, fps, size,
                                         cache_dir=parts, progress=False, strict=strict)
                (report.reused if feats.from_cache else report.extracted).append(video.name)
                arrays = video_arrays(feats, video.stem, kts_vmax, max_shot_seconds)
                if old is not None:
                    _check_carry_over(out, previous, {video.name: found[video.name]},
                                      {video.name: (feats.n_frames, arrays['picks'])})
                group = handle.create_group(key)
                group.update(arrays)
                group.attrs.update(mmvsumm_source=sources[video.name], file=video.name,
                                   backbone=backbone, every=every, fps=fps or 0.0,
                                   size=size, video_fps=feats.fps,
                                   mmvsumm_datasets=sorted(arrays), **shot_attrs)
                if old is not None:
                    _carry_over(old, group, report)
            if reference is not None and 'user_summary' not in group:
                arrays = {k: group[k][()] for k in ('n_frames', 'picks')}
                copied = _annotations(reference, key, video.stem, arrays)
                group.update(copied)
                group.attrs['mmvsumm_datasets'] = sorted(_own_items(group) | set(copied))
    _remove_parts(parts)
    return report


def _copy_foreign(out: Path, previous, handle, found: dict[str, str], names: list[str],
                  report: ExtractReport) -> None:
    """Copy the file's attributes and every item that is not one of this command's
    video groups into the new file; refuse a rebuild that would drop user datasets
    of a group whose video is gone, or overwrite an item with a ``video_<i>`` name."""
    ours = set(found.values())
    handle.attrs.update(dict(previous.attrs))
    taken = {f'video_{i}' for i in range(1, len(names) + 1)}
    for name in previous:
        if name in ours:
            continue
        if name in taken:
            raise VSummInputError(f'{out}: {name} was not written by mmvsumm extract but '
                                  f'extract needs that name for a video; rename it or choose '
                                  'another --out')
        previous.copy(previous[name], handle, name=name)
        report.kept.append(name)
    _check_carry_over(out, previous, found, {name: None for name in names})


def _carry_over(old, group, report: ExtractReport) -> None:
    """Datasets and attributes of ``old`` that this command did not write, into ``group``."""
    for name in _user_items(old):
        old.file.copy(old[name], group, name=name)
        report.kept.append(f'{group.name.lstrip("/")}/{name}')
    for name, value in old.attrs.items():
        if name not in OWN_ATTRS:
            group.attrs[name] = value


def _reshoot(group, kts_vmax: float, max_shot_seconds: float | None) -> None:
    """New shots of a reused group (other KTS settings) from its own features."""
    shots = video_shots(group['features'][()], group['picks'][()], group['frame_times'][()],
                        kts_vmax, max_shot_seconds)
    for name, value in zip(SHOT_DATASETS, (shots, shots[:, 1] - shots[:, 0] + 1)):
        del group[name]
        group[name] = value
