"""Bad h5 files, annotations and split files give errors naming the file and item."""
import h5py
import numpy as np
import pytest

from mmvsumm import VSummInputError
from mmvsumm.cli import main
from mmvsumm.io.h5 import read_eccv16
from mmvsumm.io.tvsum_anno import attach_tvsum_scores, read_tvsum_anno
from mmvsumm.splits import read_splits

from .h5fixture import synthetic_video, write_anno, write_h5


@pytest.fixture
def small_h5(tmp_path):
    rng = np.random.default_rng(0)
    videos = {f'video_{i}': synthetic_video(rng, 20) for i in (1, 2, 10)}
    path = tmp_path / 'eccv16_dataset_tvsum_google_pool5.h5'
    write_h5(path, videos)
    return path, videos


def test_reader_returns_numeric_order_and_validated_arrays(small_h5):
    path, videos = small_h5
    records = read_eccv16(path)
    assert list(records) == ['video_1', 'video_2', 'video_10']
    rec = records['video_2']
    np.testing.assert_array_equal(rec.change_points, videos['video_2']['change_points'])
    assert rec.features.shape == (20, 64) and rec.n_frames == videos['video_2']['n_frames']
    assert rec.name == 'eccv16_dataset_tvsum_google_pool5/video_2'


def edit(path, key, item, value=None, delete=False):
    with h5py.File(path, 'a') as handle:
        group = handle[key]
        del group[item]
        if not delete:
            group[item] = value


@pytest.mark.parametrize('item,value,message', [
    ('picks', None, r'video_2/picks: missing'),
    ('picks', np.arange(19) * 15, r'video_2/picks: length 19 != features rows 20'),
    ('features', np.ones(20), r'video_2/features: expected 2-D'),
    ('gtscore', np.full(20, np.nan), r'video_2/gtscore: contains NaN'),
    ('user_summary', np.ones((3, 7)), r'video_2/user_summary: shape \(3, 7\)'),
    ('change_points', np.array([[0, 10]]), r'video_2/n_frame_per_seg: does not match'),
    ('n_frames', np.array([1.5]), r'video_2/n_frames: expected one positive integer'),
    ('n_steps', 21, r'video_2/n_steps: does not match'),
])
def test_bad_video_arrays_are_named(small_h5, item, value, message):
    path, _ = small_h5
    edit(path, 'video_2', item, value, delete=value is None)
    with pytest.raises(VSummInputError, match=rf'{path.name}: {message}'):
        read_eccv16(path)


def test_unreadable_group_is_named(small_h5):
    path, _ = small_h5
    with h5py.File(path, 'a') as handle:
        del handle['video_10']
        handle['video_10'] = h5py.SoftLink('/nowhere')  # a dangling link
    with pytest.raises(VSummInputError, match=r'video_10: cannot read group'):
        read_eccv16(path)
    with h5py.File(path, 'a') as handle:
        del handle['video_10']
        handle['video_10'] = np.zeros(3)  # a dataset where a group should be
    with pytest.raises(VSummInputError, match=r'video_10: cannot read group'):
        read_eccv16(path)


def test_missing_video_and_non_h5_file(small_h5, tmp_path):
    path, _ = small_h5
    with pytest.raises(VSummInputError, match='video_7: no such video group'):
        read_eccv16(path, ['video_7'])
    junk = tmp_path / 'junk.h5'
    junk.write_bytes(b'not an h5 file')
    with pytest.raises(VSummInputError, match='junk.h5: cannot open as an h5 file'):
        read_eccv16(junk)


def test_annotation_length_mismatch_is_named(small_h5, tmp_path):
    path, videos = small_h5
    videos['video_2']['_user_scores'] = videos['video_2']['_user_scores'][:, :-3]
    anno = tmp_path / 'anno.tsv'
    write_anno(anno, {'video_1': videos['video_1'], 'video_2': videos['video_2']})
    records = read_eccv16(path, ['video_1', 'video_2'])
    with pytest.raises(VSummInputError, match=r'anno.tsv: video_2 \(yt_video_2\) has \d+ '
                                              r'annotated frames but .*video_2 has n_frames'):
        attach_tvsum_scores(records, anno)
    with pytest.raises(VSummInputError, match='no annotation for .*video_10'):
        attach_tvsum_scores(read_eccv16(path, ['video_10']), anno)


@pytest.mark.parametrize('line,message', [
    ('vid\tVT', 'line 1: expected 3'), ('vid\tVT\t1,2,x', 'line 1 \\(vid\\): non-numeric'),
    ('vid\tVT\t1,2,9', 'scores must be in 1..5')])
def test_bad_annotation_lines(tmp_path, line, message):
    anno = tmp_path / 'bad.tsv'
    anno.write_text(line + '\n')
    with pytest.raises(VSummInputError, match=message):
        read_tvsum_anno(anno)


def test_bad_split_files(tmp_path):
    bad = tmp_path / 'bad.yml'
    bad.write_text('- test_keys: [a/video_1]\n')
    with pytest.raises(VSummInputError, match='split 0: needs train_keys and test_keys'):
        read_splits(bad)
    bad.write_text('- {test_keys: [video_1], train_keys: []}\n')
    with pytest.raises(VSummInputError, match="split 0: split key 'video_1'"):
        read_splits(bad)


def test_cli_reports_errors_with_exit_code_2(small_h5, capsys):
    path, _ = small_h5
    edit(path, 'video_1', 'change_points', delete=True)
    code = main(['evaluate', '--dataset', 'tvsum', '--h5', str(path), '--setting', 'transfer'])
    assert code == 2
    err = capsys.readouterr().err
    assert 'mmvsumm: error:' in err and 'video_1/change_points: missing' in err
