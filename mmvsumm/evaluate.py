"""Evaluation of one dataset in one setting: what ``mmvsumm evaluate`` runs."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

from .errors import VSummInputError
from .io.h5 import VideoRecord, read_eccv16, video_keys
from .io.tvsum_anno import attach_tvsum_scores
from .metrics.evaluation import VideoResult, evaluate_video, human_video, mean_result
from .metrics.protocol import Protocol
from .presets import REFINED_CHOICES, method_label, score_options
from .refine import RefineConfig, refined_importance, train_refiner
from .scores import importance_scores
from .splits import h5_stem, read_splits, shipped_split_file

__all__ = ['EvalReport', 'SkippedVideo', 'run_evaluation', 'check_annotators', 'ON_BAD_VIDEO',
           'ANNOTATORS']

ON_BAD_VIDEO = ('error', 'skip')
# annotators per video where every video has the same number (SumMe has 15-18)
ANNOTATORS = {'tvsum': 20}


@dataclass(frozen=True)
class SkippedVideo:
    """A video left out by ``on_bad_video='skip'`` and why."""

    name: str
    reason: str

    @classmethod
    def of(cls, name: str, error: Exception) -> 'SkippedVideo':
        """The video and its error's message (without a leading repeat of the name)."""
        return cls(name, str(error).removeprefix(f'{name}: '))

    def __str__(self) -> str:
        return f'{self.name}: {self.reason}'

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EvalReport:
    """Per-video, per-split and overall results of one evaluation."""

    dataset: str
    setting: str
    method: str
    protocol: Protocol
    score_options: dict
    split_file: str
    videos: list[VideoResult] = field(default_factory=list)
    splits: list[VideoResult] = field(default_factory=list)
    skipped: list[SkippedVideo] = field(default_factory=list)

    @property
    def overall(self) -> VideoResult:
        """Mean over splits of the mean over each split's test videos."""
        return mean_result(self.method, self.splits)


def _evaluate_one(job: tuple[VideoRecord, Protocol, dict | None]) -> VideoResult | SkippedVideo:
    """One video: training-free scores (options) or the human baseline (None).

    A degenerate video (its error names it) comes back as a :class:`SkippedVideo`.
    """
    record, protocol, options = job
    try:
        if options is None:
            return human_video(record, protocol)
        return evaluate_video(importance_scores(record.features, **options), record, protocol)
    except VSummInputError as exc:
        return SkippedVideo.of(record.name, exc)


def _keep_good(outcomes: dict, on_bad_video: str) -> tuple[dict, list[SkippedVideo]]:
    """Split per-video outcomes into results and skipped videos (or raise on the first)."""
    skipped = [o for o in outcomes.values() if isinstance(o, SkippedVideo)]
    if skipped and on_bad_video == 'error':
        more = f' (and {len(skipped) - 1} more)' if len(skipped) > 1 else ''
        raise VSummInputError(f'{skipped[0]}{more}; --on-bad-video skip leaves such '
                              'videos out and lists them in the report')
    return {k: o for k, o in outcomes.items() if not isinstance(o, SkippedVideo)}, skipped


def _split_mean(index: int, test: list[str], results: dict) -> VideoResult:
    """Mean over the split's test videos that were not skipped."""
    kept = [results[k] for k in test if k in results]
    if not kept:
        raise VSummInputError(f'split {index}: every test video was skipped')
    return mean_result(f'split {index}', kept)


def check_annotators(records: dict[str, VideoRecord], dataset: str) -> None:
    """Every video of ``dataset`` must have its number of annotators (TVSum: 20).

    Raises:
        VSummInputError: naming the video, the array and both counts.
    """
    expected = ANNOTATORS.get(dataset)
    if expected is None:
        return
    for record in records.values():
        for what, rows in (('user_summary', record.user_summary),
                           ('annotator scores (--anno)', record.user_scores)):
            if rows is not None and len(rows) != expected:
                raise VSummInputError(f'{record.name}: {what} has {len(rows)} annotator rows, '
                                      f'but {dataset} has {expected} per video')


def run_evaluation(h5: str | Path, dataset: str, setting: str = 'canonical',
                   scores: str = 'align+uniform', variant: str = 'thesis',
                   ratio: float = 0.1, protocol: Protocol | None = None,
                   anno: str | Path | None = None, split_file: str | Path | None = None,
                   human: bool = False, workers: int = 1, refine: RefineConfig | None = None,
                   train_h5: Sequence[str | Path] = (),
                   on_bad_video: str = 'error') -> EvalReport:
    """Score every test video of every split and aggregate.

    Training-free scores do not depend on the training keys, so the canonical
    and augmented settings give the same numbers (as in the thesis's table 3.3);
    transfer tests on the whole dataset. ``workers > 1`` scores videos in that
    many forked processes. With ``refine``, a refiner is trained on each split's
    training keys (other datasets' videos come from ``train_h5``, matched by file
    name) and scores that split's test videos (``scores`` may add ``+filter``).
    """
    protocol = protocol or Protocol(dataset)
    if on_bad_video not in ON_BAD_VIDEO:
        raise VSummInputError(f'on_bad_video must be one of {ON_BAD_VIDEO}, got {on_bad_video!r}')
    split_path = Path(split_file) if split_file else shipped_split_file(dataset, setting)
    splits = read_splits(split_path)
    stems = (h5_stem(dataset), Path(h5).stem)  # the public name, or the file's own
    tests = []
    for index, split in enumerate(splits):
        foreign = [k for k in split.test_keys if k.split('/')[0] not in stems]
        if foreign:
            raise VSummInputError(f'{split_path}: split {index}: test keys {foreign[:3]} '
                                  f'are not from {" or ".join(stems)}')
        tests.append([k.split('/')[1] for k in split.test_keys])
    keys = video_keys({k for test in tests for k in test})
    records = read_eccv16(h5, keys)
    if dataset == 'tvsum' and protocol.rank_level != 'gtscore':
        if anno is None:
            from mmcontrast.assets import MissingAssetError, tvsum_anno_path
            try:
                anno = tvsum_anno_path()
            except MissingAssetError as exc:
                raise VSummInputError(f'TVSum tau/rho need the annotations: pass --anno '
                                      f'ydata-tvsum50-anno.tsv ({exc})') from exc
        attach_tvsum_scores(records, anno)
    check_annotators(records, dataset)
    if refine is not None:
        return _refined_evaluation(h5, dataset, setting, scores, protocol, split_path,
                                   splits, tests, records, refine, train_h5, on_bad_video)
    options = score_options(scores, variant, dataset, ratio)
    method = 'human (leave-one-out)' if human else method_label(scores)
    jobs = [(record, protocol, None if human else options) for record in records.values()]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context('fork')) as pool:
            outcomes = list(pool.map(_evaluate_one, jobs))
    else:
        outcomes = [_evaluate_one(job) for job in jobs]
    results, skipped = _keep_good(dict(zip(records, outcomes)), on_bad_video)
    report = EvalReport(dataset, setting, method, protocol, options, str(split_path),
                        videos=list(results.values()), skipped=skipped)
    report.splits = [_split_mean(i, test, results) for i, test in enumerate(tests)]
    return report


def _training_features(splits: list, h5: str | Path, dataset: str,
                       train_h5: Sequence[str | Path]) -> dict:
    """Features of every training key, read from the h5 file of its stem."""
    files = {h5_stem(dataset): Path(h5), **{Path(p).stem: Path(p) for p in train_h5}}
    wanted: dict[str, set] = {}
    for split in splits:
        for key in split.train_keys:
            stem, video = key.split('/')
            wanted.setdefault(stem, set()).add(video)
    feats = {}
    for stem, videos in wanted.items():
        if stem not in files:
            raise VSummInputError(f'training needs {stem}.h5: pass it with --train-h5')
        for key, record in read_eccv16(files[stem], video_keys(videos)).items():
            feats[f'{stem}/{key}'] = record.features
    return feats


def _refined_evaluation(h5, dataset, setting, scores, protocol, split_path, splits, tests,
                        records, refine: RefineConfig, train_h5,
                        on_bad_video: str) -> EvalReport:
    """Train one refiner per split and evaluate its test videos."""
    if scores not in REFINED_CHOICES:
        raise VSummInputError(f'--scores must be one of {sorted(REFINED_CHOICES)}')
    options = score_options(scores, refine.variant, dataset, refine.ratio)
    feats = _training_features(splits, h5, dataset, train_h5)
    report = EvalReport(dataset, setting, method_label(scores, refined=True), protocol,
                        dict(refine=asdict(refine), **options), str(split_path))
    for index, (split, test) in enumerate(zip(splits, tests)):
        model = train_refiner([feats[k] for k in split.train_keys], refine)
        outcomes = {}
        for key in test:
            try:
                outcomes[key] = evaluate_video(refined_importance(
                    records[key].features, model, **options), records[key], protocol)
            except VSummInputError as exc:
                outcomes[key] = SkippedVideo.of(records[key].name, exc)
        results, skipped = _keep_good(outcomes, on_bad_video)
        report.videos += results.values()
        report.skipped += skipped
        report.splits.append(_split_mean(index, test, results))
    return report
