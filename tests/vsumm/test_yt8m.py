"""YouTube-8M frame-level TFRecords, written here in the real format, read without TF."""
import gzip
import struct

import numpy as np
import pytest

from mmvsumm import VSummInputError
from mmvsumm.datasets import YT8MFrameDataset
from mmvsumm.io import tfrecord
from mmvsumm.io.tfrecord import index_tfrecords, iter_tfrecords, masked_crc32c
from mmvsumm.io.yt8m import iter_yt8m
from mmvsumm.registry import DATASETS

from .yt8m_writer import crc32c_bitwise, frame_record, tfrecord_bytes, write_frame_tfrecord


def random_videos(rng, lengths, with_audio=True):
    return [dict(vid=f'v{i:03d}', labels=[int(x) for x in rng.integers(0, 3862, size=i % 3 + 1)],
                 rgb=rng.integers(0, 256, size=(t, 1024), dtype=np.uint8),
                 audio=rng.integers(0, 256, size=(t, 128), dtype=np.uint8) if with_audio else None)
            for i, t in enumerate(lengths)]


def expected(codes):
    """The starter code's Dequantize with max 2, min -2, recomputed in float64."""
    return codes.astype(np.float64) * 4 / 255 + 4 / 512 - 2


@pytest.fixture
def shards(tmp_path):
    rng = np.random.default_rng(0)
    videos = random_videos(rng, [5, 12, 1, 7])
    folder = tmp_path / 'frame'
    folder.mkdir()
    write_frame_tfrecord(folder / 'train0000.tfrecord', videos[:3])
    write_frame_tfrecord(folder / 'train0001.tfrecord', videos[3:])
    return tmp_path, videos


def test_crc32c_matches_the_check_value_and_the_bitwise_reference():
    check = b'123456789'  # the CRC catalogue's check input; CRC-32C gives 0xE3069283
    assert crc32c_bitwise(check) == 0xE3069283
    assert tfrecord.crc32c(check) == 0xE3069283
    assert tfrecord._crc32c_python(check) == 0xE3069283  # the fallback without the package
    data = np.random.default_rng(1).bytes(3000)
    assert tfrecord._crc32c_python(data) == crc32c_bitwise(data) == tfrecord.crc32c(data)


def test_dequantize_hand_checked_codes(tmp_path):
    codes = np.zeros((1, 1024), np.uint8)
    codes[0, :3] = [0, 128, 255]
    path = tmp_path / 'one.tfrecord'
    write_frame_tfrecord(path, [dict(vid='abc', labels=[], rgb=codes, audio=None)])
    (video,) = iter_yt8m(path)
    np.testing.assert_allclose(video.features[0, :3],
                               [-1.9921875, 128 * 4 / 255 - 1.9921875, 2.0078125], atol=1e-6)
    assert video.id == 'abc' and video.labels.tolist() == [] and video.features.dtype == np.float32


def test_stream_reads_ids_labels_and_dequantised_features(shards):
    root, videos = shards
    got = list(iter_yt8m(root / 'frame' / 'train*.tfrecord', features=('rgb', 'audio')))
    assert [v.id for v in got] == [v['vid'] for v in videos]
    for video, ref in zip(got, videos):
        assert video.labels.tolist() == ref['labels']
        want = expected(np.concatenate([ref['rgb'], ref['audio']], axis=1))
        assert video.features.shape == (len(ref['rgb']), 1152)
        np.testing.assert_allclose(video.features, want, atol=1e-6)
    rgb_only = next(iter_yt8m(root / 'frame' / 'train0001.tfrecord'))
    np.testing.assert_allclose(rgb_only.features, expected(videos[3]['rgb']), atol=1e-6)


def test_2017_key_and_negative_int64_labels(tmp_path):
    rgb = np.arange(2048).reshape(2, 1024).astype(np.uint8)
    path = tmp_path / 'old.tfrecord'
    write_frame_tfrecord(path, [dict(vid='old', labels=[7, -1, 2**40], rgb=rgb, audio=None,
                                     id_key='video_id')])
    (video,) = iter_yt8m(path)
    assert video.id == 'old' and video.labels.tolist() == [7, -1, 2**40]


def test_dataset_indexes_headers_only_and_reads_items_lazily(shards, monkeypatch):
    root, videos = shards

    def no_parse(*_args, **_kwargs):
        raise AssertionError('building the index must not decode a video')
    monkeypatch.setattr('mmvsumm.datasets.yt8m.parse_yt8m_record', no_parse)
    dataset = DATASETS.build(dict(type='YT8MFrameDataset', data_root=str(root),
                                  ann_file='frame/train*.tfrecord'))
    assert len(dataset) == 4 and set(dataset.get_data_info(1)) == {'file', 'offset', 'sample_idx'}
    monkeypatch.undo()
    item = dataset[1]
    assert item['name'] == 'yt8m/v001' and item['labels'].tolist() == videos[1]['labels']
    np.testing.assert_allclose(item['features'], expected(videos[1]['rgb']), atol=1e-6)
    assert dataset.feature_dim == 1024


def test_dataset_resamples_and_limits(shards):
    root, videos = shards
    dataset = YT8MFrameDataset(str(root / 'frame' / 'train*.tfrecord'), frames=8,
                               features=('rgb', 'audio'), max_videos=3)
    assert len(dataset) == 3 and dataset.feature_dim == 1152
    long_item, short_item = dataset[1], dataset[2]  # 12 frames down to 8, 1 frame up to 8
    full = expected(np.concatenate([videos[1]['rgb'], videos[1]['audio']], axis=1))
    rows = [int(np.abs(full - row).sum(axis=1).argmin()) for row in long_item['features']]
    assert long_item['features'].shape == (8, 1152) and rows == sorted(set(rows))
    np.testing.assert_allclose(short_item['features'],
                               np.repeat(expected(np.concatenate([videos[2]['rgb'],
                                                                  videos[2]['audio']], 1)), 8, 0),
                               atol=1e-6)
    with pytest.raises(VSummInputError, match='subset of'):
        YT8MFrameDataset(str(root / 'frame' / '*'), features=('inc3',))
    with pytest.raises(VSummInputError, match='no TFRecord file matches'):
        YT8MFrameDataset(str(root / 'nothing*.tfrecord'))


def test_corruption_is_reported_with_file_and_offset(tmp_path):
    rng = np.random.default_rng(3)
    records = [frame_record(**v) for v in random_videos(rng, [3, 4, 2], with_audio=False)]
    good = tfrecord_bytes(records)
    second = len(tfrecord_bytes(records[:1]))  # byte offset of the second record
    path = tmp_path / 'bad.tfrecord'
    assert index_tfrecords(_write(path, good)) == [0, second, len(tfrecord_bytes(records[:2]))]

    data_flip = bytearray(good)
    data_flip[second + 12 + 100] ^= 0x01  # a byte inside the second record's data
    _write(path, data_flip)
    with pytest.raises(VSummInputError, match=rf'bad.tfrecord: TFRecord at byte {second}: '
                                              r'corrupt data \(CRC mismatch\)'):
        list(iter_yt8m(path))
    dataset = YT8MFrameDataset(str(path))  # the index reads headers only: it still builds
    assert dataset[0]['name'] == 'yt8m/v000'
    with pytest.raises(VSummInputError, match=rf'TFRecord at byte {second}: corrupt data'):
        dataset[1]
    assert len(list(iter_tfrecords(path, verify=False))) == 3

    length_flip = bytearray(good)
    length_flip[second + 1] ^= 0x10
    with pytest.raises(VSummInputError, match=rf'byte {second}: corrupt length'):
        index_tfrecords(_write(path, length_flip))
    with pytest.raises(VSummInputError, match=rf'byte {second}: truncated record'):
        index_tfrecords(_write(path, good[:second + 50]))
    with pytest.raises(VSummInputError, match=rf'byte {second}: truncated record'):
        list(iter_tfrecords(path))
    with pytest.raises(VSummInputError, match='gzip-compressed'):
        index_tfrecords(_write(path, gzip.compress(good)))


def _write(path, data):
    path.write_bytes(bytes(data))
    return path


def _framed(data):
    length = struct.pack('<Q', len(data))
    return length + struct.pack('<I', masked_crc32c(length)) + data + \
        struct.pack('<I', masked_crc32c(data))


@pytest.mark.parametrize('make,message', [
    (lambda: b'\x0a\xff\x01', 'length 255 past the end'),
    (lambda: frame_record('x', [], None, np.zeros((2, 128), np.uint8)),
     r"video x\): .*no 'rgb' feature list"),
    (lambda: frame_record('y', [], np.zeros((2, 1000), np.uint8), None),
     "'rgb': frame 0 has 1000 bytes, expected 1024"),
    (lambda: frame_record('z', [], np.zeros((0, 1024), np.uint8), None), 'no frame'),
])
def test_malformed_examples_name_the_record(tmp_path, make, message):
    path = tmp_path / 'odd.tfrecord'
    path.write_bytes(_framed(make()))
    with pytest.raises(VSummInputError, match=rf'odd.tfrecord@0 .*{message}'):
        list(iter_yt8m(path, features=('rgb',)))
