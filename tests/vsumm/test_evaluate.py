"""``mmvsumm evaluate`` on synthetic eccv16 h5 files, every setting and variant."""
import json

import numpy as np
import pytest

from mmvsumm import f1_score, importance_scores, keyshot_summary, rank_correlation
from mmvsumm.cli import main
from mmvsumm.splits import read_splits, shipped_split_file


def run_cli(tmp_path, *args):
    out = tmp_path / 'report.json'
    md = tmp_path / 'report.md'
    assert main(['evaluate', *map(str, args), '--json', str(out), '--md', str(md),
                 '--overwrite']) == 0  # a test may run several reports into one folder
    return json.loads(out.read_text()), md.read_text()


def direct_scores(arrays, users_key, reduction):
    """F1/tau/rho of one video computed straight from the arrays."""
    scores = importance_scores(arrays['features'], 0.1, ('align', 'uniform'), 0.05, 1.0)
    summary, _ = keyshot_summary(scores, arrays['change_points'], arrays['n_frames'],
                                 arrays['picks'])
    held = np.repeat(scores, 15)[:arrays['n_frames']]
    refs = arrays[users_key]
    return (100 * f1_score(summary, arrays['user_summary'], reduction),
            rank_correlation(held, refs, 'kendall'), rank_correlation(held, refs, 'spearman'))


@pytest.mark.parametrize('setting', ['canonical', 'augmented', 'transfer'])
@pytest.mark.parametrize('scores', ['align', 'align+uniform'])
def test_tvsum_every_setting(tmp_path, tvsum_h5, setting, scores):
    h5, anno, videos = tvsum_h5
    report, md = run_cli(tmp_path, '--dataset', 'tvsum', '--h5', h5, '--anno', anno,
                         '--setting', setting, '--scores', scores)
    splits = read_splits(shipped_split_file('tvsum', setting))
    assert len(report['splits']) == len(splits) == (1 if setting == 'transfer' else 5)
    per_video = {v['name'].split('/')[1]: v for v in report['videos']}
    assert len(per_video) == 50
    for split, result in zip(splits, report['splits']):
        keys = [k.split('/')[1] for k in split.test_keys]
        assert result['kendall'] == pytest.approx(np.mean([per_video[k]['kendall'] for k in keys]))
    assert report['overall']['f1'] == pytest.approx(np.mean([s['f1'] for s in report['splits']]))
    assert '| Method |' in md and 'TVSum F1' in md
    if scores == 'align+uniform':
        f1, tau, rho = direct_scores(videos['video_7'], '_user_scores', 'mean')
        assert per_video['video_7']['f1'] == pytest.approx(f1)
        assert per_video['video_7']['kendall'] == pytest.approx(tau)
        assert per_video['video_7']['spearman'] == pytest.approx(rho)


def test_canonical_and_augmented_agree_for_training_free_scores(tmp_path, tvsum_h5):
    h5, anno, _ = tvsum_h5
    canon, _ = run_cli(tmp_path, '--dataset', 'tvsum', '--h5', h5, '--anno', anno)
    aug, _ = run_cli(tmp_path, '--dataset', 'tvsum', '--h5', h5, '--anno', anno,
                     '--setting', 'augmented')
    assert canon['overall'] == pytest.approx(aug['overall'])


@pytest.mark.parametrize('setting', ['canonical', 'augmented', 'transfer'])
def test_summe_every_setting_uses_max_f1(tmp_path, summe_h5, setting):
    h5, _, videos = summe_h5
    report, _ = run_cli(tmp_path, '--dataset', 'summe', '--h5', h5, '--setting', setting)
    assert report['protocol']['f1_reduction'] == 'max'
    video = next(v for v in report['videos'] if v['name'].endswith('/video_3'))
    f1, tau, rho = direct_scores(videos['video_3'], 'user_summary', 'max')
    assert (video['f1'], video['kendall'], video['spearman']) == pytest.approx((f1, tau, rho))


@pytest.mark.parametrize('extra', [
    ['--variant', 'release'], ['--rank-level', 'step'], ['--rank-level', 'gtscore'],
    ['--shots', 'kts'], ['--shot-score', 'sum'], ['--knapsack-scale', '1000']])
def test_protocol_variants_run(tmp_path, tvsum_h5, extra):
    h5, anno, _ = tvsum_h5
    report, _ = run_cli(tmp_path, '--dataset', 'tvsum', '--h5', h5, '--anno', anno, *extra)
    values = [report['overall'][k] for k in ('f1', 'kendall', 'spearman')]
    assert np.isfinite(values).all()


def test_human_baseline_beats_chance_on_synthetic_annotators(tmp_path, tvsum_h5):
    h5, anno, _ = tvsum_h5  # annotators share part of the shot scores: they correlate
    splits = tmp_path / 'ten.json'  # 10 videos keep the 20-annotator pairs quick
    splits.write_text(json.dumps([{'train_keys': [], 'test_keys': [
        f'eccv16_dataset_tvsum_google_pool5/video_{i}' for i in range(1, 11)]}]))
    report, md = run_cli(tmp_path, '--dataset', 'tvsum', '--h5', h5, '--anno', anno, '--human',
                         '--splits', splits)
    assert report['method'] == 'human (leave-one-out)' and 'human' in md
    assert report['overall']['kendall'] > 0.0 and report['overall']['f1'] > 0.0


def test_vasnet_json_and_dsnet_yml_splits(tmp_path, summe_h5):
    h5, _, _ = summe_h5
    stem = 'eccv16_dataset_summe_google_pool5'
    keys = [f'{stem}/video_{i}' for i in range(1, 26)]
    vasnet = tmp_path / 'summe_splits.json'
    vasnet.write_text(json.dumps([{'train_keys': keys[5:], 'test_keys': keys[:5]},
                                  {'train_keys': keys[:5], 'test_keys': keys[5:10]}]))
    dsnet = tmp_path / 'summe.yml'
    dsnet.write_text('- test_keys:\n' + ''.join(f'  - ../datasets/{k.replace("/", ".h5/")}\n'
                                                for k in keys[:5]) +
                     '  train_keys:\n' + ''.join(f'  - ../datasets/{k.replace("/", ".h5/")}\n'
                                                 for k in keys[5:]))
    from_json, _ = run_cli(tmp_path, '--dataset', 'summe', '--h5', h5, '--splits', vasnet)
    from_yml, _ = run_cli(tmp_path, '--dataset', 'summe', '--h5', h5, '--splits', dsnet)
    assert len(from_json['videos']) == 10 and len(from_json['splits']) == 2
    assert from_yml['splits'][0] == pytest.approx(from_json['splits'][0] | {'name': 'split 0'})
    assert read_splits(dsnet)[0].test_keys[0] == f'{stem}/video_1'


def test_missing_tvsum_annotations_is_a_clear_error(tmp_path, tvsum_h5, monkeypatch, capsys):
    h5, _, _ = tvsum_h5
    monkeypatch.setenv('MMCONTRAST_SHARED', str(tmp_path / 'nowhere'))
    assert main(['evaluate', '--dataset', 'tvsum', '--h5', str(h5)]) == 2
    assert 'pass --anno' in capsys.readouterr().err


def test_parallel_workers_give_the_same_report(tmp_path, summe_h5):
    h5, _, _ = summe_h5
    one, _ = run_cli(tmp_path, '--dataset', 'summe', '--h5', h5)
    two, _ = run_cli(tmp_path, '--dataset', 'summe', '--h5', h5, '--workers', '2')
    assert one['videos'] == two['videos']


def degenerate_dataset(folder):
    """A 6-video SumMe-layout h5 whose videos 2-4 are degenerate, and a split file
    testing all six (keys of the file's own stem)."""
    from mmvsumm.splits import Split, write_dsnet_yml

    from .h5fixture import synthetic_video, write_h5
    rng = np.random.default_rng(3)
    videos = {f'video_{i}': synthetic_video(rng, 30) for i in range(1, 7)}
    videos['video_2']['features'][:] = 1.0  # constant features: constant prediction
    one = videos['video_3']  # a single sampled step
    n = 10
    one.update(features=one['features'][:1], gtscore=one['gtscore'][:1],
               gtsummary=one['gtsummary'][:1], picks=one['picks'][:1], n_steps=1, n_frames=n,
               user_summary=one['user_summary'][:, :n], change_points=np.array([[0, n - 1]]),
               n_frame_per_seg=np.array([n]))
    videos['video_4']['user_summary'][2] = 0  # an annotator with an empty summary
    h5 = folder / 'mine.h5'
    write_h5(h5, videos)
    splits = folder / 'mine.yml'
    keys = tuple(f'mine/{k}' for k in videos)
    write_dsnet_yml([Split((), keys[:3]), Split((), keys[3:])], splits)
    return h5, splits, videos


def test_degenerate_videos_stop_the_run_or_are_skipped(tmp_path, capsys):
    h5, splits, videos = degenerate_dataset(tmp_path)
    base = ['evaluate', '--dataset', 'summe', '--h5', str(h5), '--splits', str(splits)]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert 'mine/video_2: rank correlation undefined: the prediction is constant' in err
    assert '(and 2 more)' in err and '--on-bad-video skip' in err
    report, md = run_cli(tmp_path, *base[1:], '--on-bad-video', 'skip', '--workers', '2')
    skipped = {v['name']: v['reason'] for v in report['skipped']}
    assert sorted(skipped) == ['mine/video_2', 'mine/video_3', 'mine/video_4']
    assert 'prediction is constant' in skipped['mine/video_3']  # T = 1
    assert 'annotator(s) [2] are constant' in skipped['mine/video_4']
    assert 'mine/video_4' in capsys.readouterr().err and 'Skipped videos' in md
    good = {k: direct_scores(videos[k], 'user_summary', 'max') for k in ('video_1', 'video_5',
                                                                          'video_6')}
    assert [v['name'] for v in report['videos']] == [f'mine/{k}' for k in good]
    assert report['splits'][0]['f1'] == pytest.approx(good['video_1'][0])  # the only one left
    assert report['splits'][1]['kendall'] == pytest.approx(
        np.mean([good['video_5'][1], good['video_6'][1]]))


def test_a_split_whose_videos_are_all_skipped_is_an_error(tmp_path, capsys):
    from mmvsumm.splits import Split, write_dsnet_yml
    h5, splits, _ = degenerate_dataset(tmp_path)
    write_dsnet_yml([Split((), ('mine/video_2', 'mine/video_3'))], splits)
    assert main(['evaluate', '--dataset', 'summe', '--h5', str(h5), '--splits', str(splits),
                 '--on-bad-video', 'skip']) == 2
    assert 'split 0: every test video was skipped' in capsys.readouterr().err


def test_tvsum_needs_twenty_annotators(tmp_path, capsys):
    from .h5fixture import make_dataset
    h5, anno, _ = make_dataset(tmp_path, 'tvsum', ['video_1', 'video_2'], users=5)
    splits = tmp_path / 's.json'
    splits.write_text(json.dumps([{'train_keys': [], 'test_keys': [
        'eccv16_dataset_tvsum_google_pool5/video_1']}]))
    code = main(['evaluate', '--dataset', 'tvsum', '--h5', str(h5), '--anno', str(anno),
                 '--splits', str(splits)])
    assert code == 2
    assert ('eccv16_dataset_tvsum_google_pool5/video_1: user_summary has 5 annotator rows, '
            'but tvsum has 20 per video') in capsys.readouterr().err
