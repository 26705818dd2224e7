"""Data construction of benchmarks/s2l_grounding.py: the split and the trivial baselines."""
from __future__ import annotations

import random
import sys

import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / 'benchmarks'))
import s2l_split as split  # noqa: E402


def _sources(num: int = 10, frames: int = 4) -> tuple[dict, dict]:
    """Source i: every frame's patches are the one-hot vector e_i (1 patch, C = num)."""
    feats = {f's{i}': torch.eye(num)[i].expand(frames, 1, num).clone() for i in range(num)}
    labels = {f's{i}': f'thing{i}' for i in range(num)}
    return feats, labels


def test_split_is_disjoint_and_queries_unseen():
    labels = split.unique_by_label({'a': 'cat', 'b': 'dog', 'c': 'cat', 'd': 'car', 'e': 'bus'})
    assert labels == {'a': 'cat', 'b': 'dog', 'd': 'car', 'e': 'bus'}
    train, test = split.split_sources(list(labels), 0.5, seed=3)
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(labels)
    feats = {k: torch.zeros(6, 1, 2) for k in labels}
    rng = random.Random(0)
    train_q = {split.make_splice(feats, labels, train, rng, 2.0, num_clips=2)['query'] for _ in range(20)}
    for _ in range(20):
        s = split.make_splice(feats, labels, test, rng, 2.0, num_clips=2)
        assert s['query'] not in train_q
        assert {n for n, _ in s['frame_refs']} <= set(test)


def test_splice_span_matches_target_frames():
    feats, labels = _sources()
    s = split.make_splice(feats, labels, list(labels), random.Random(5), 2.0)
    start, end = (np.asarray(s['segments'][0]) * 2.0).round().astype(int)
    target = [i for i, (n, _) in enumerate(s['frame_refs']) if n == s['idx']]
    assert target == list(range(start, end))
    assert s['query'] == f'When does the video show {labels[s["idx"]]}?'
    # frame j is the one-hot feature of the source it was cut from
    owners = s['frames'][:, 0].argmax(1).tolist()
    assert owners == [int(n[1:]) for n, _ in s['frame_refs']]


def test_longest_run():
    assert split.longest_run(np.array([0, 1, 1, 0, 1, 1, 1, 0], bool)) == (4, 7)
    assert split.longest_run(np.array([1, 1, 0, 1, 1], bool)) == (0, 2)
    assert split.longest_run(np.zeros(3, bool)) is None


def test_nearest_frame_baseline_hand_built():
    # training sources s0 ('red car'), s1 ('blue boat'); a held-out video of 5 frames:
    # frames 0-1 look like s1, 2-4 like s0 (noisy copies); the query names 'car'.
    bank = torch.tensor([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])  # (3, C)
    owner = ['s0', 's0', 's1']
    labels = {'s0': 'red car', 's1': 'blue boat'}
    frames = torch.tensor([[0.1, 1.0], [0.0, 0.9], [1.0, 0.2], [0.9, 0.0], [1.0, 0.05]])[:, None]
    sample = dict(frames=frames, query='When does the video show a yellow car?', sec_per_frame=0.5)
    np.testing.assert_allclose(split.nearest_frame_baseline(sample, bank, owner, labels), [1.0, 2.5])
    # a query sharing no word with any training label: the whole video
    sample['query'] = 'When does the video show a cat?'
    np.testing.assert_allclose(split.nearest_frame_baseline(sample, bank, owner, labels), [0.0, 2.5])


def test_class_name_baseline_hand_built():
    names = ['tabby cat', 'sports car', 'goldfish']
    # per-frame probabilities of 'sports car': 0.1, 0.8, 0.9, 0.3, 0.7 -> >= 0.45: frames 1-2, 4
    probs = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.05, 0.9, 0.05],
                          [0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    sample = dict(query='When does the video show sports car?', sec_per_frame=1.0)
    np.testing.assert_allclose(split.class_name_baseline(sample, probs.log(), names), [1.0, 3.0])


def test_whole_and_random_span():
    sample = dict(duration=4.0)
    np.testing.assert_allclose(split.whole_video_baseline(sample), [0.0, 4.0])
    a, b = split.random_span_baseline(sample, random.Random(0))
    assert 0.0 <= a <= b <= 4.0


def test_ken_burns_shape_and_range():
    rgb = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    frames = split.ken_burns(rgb, num=3, size=32)
    assert frames.shape == (3, 3, 32, 32) and 0.0 <= frames.min() and frames.max() <= 1.0
    assert not torch.equal(frames[0], frames[-1])



def _repeated_labels() -> dict[str, str]:
    names = ['cat', 'cat', 'cat', 'dog', 'dog', 'car', 'car', 'bus', 'boat', 'tree', 'tree']
    return {f'src{i:02d}': n for i, n in enumerate(names)}


def test_seen_concept_split_has_no_source_overlap_across_stages():
    labels = _repeated_labels()
    for seed in range(5):
        split_ = split.split_seen_concepts(labels, seed)
        test, ground, align = set(split_['test']), set(split_['ground']), set(split_['align'])
        assert test.isdisjoint(align) and test.isdisjoint(ground)  # no test source in any stage
        assert ground <= align and test | align == set(labels)
        assert sorted(labels[k] for k in test) == ['car', 'cat', 'dog', 'tree']  # one per repeated name
        ground_names = {labels[k] for k in ground}
        for key, case in split_['case'].items():
            assert labels[key] in {labels[k] for k in align}  # the concept is seen in training
            assert (labels[key] in ground_names) == (case == 'grounding')
        assert sorted(split_['case'].values()) == ['alignment'] * 2 + ['grounding'] * 2


def test_splice_clips_have_distinct_labels_and_the_given_target():
    labels = _repeated_labels()
    feats = {k: torch.zeros(6, 1, 2) for k in labels}
    rng = random.Random(0)
    for _ in range(30):
        s = split.make_splice(feats, labels, list(labels), rng, 2.0, target='src07')
        owners = list(dict.fromkeys(n for n, _ in s['frame_refs']))
        assert len({labels[o] for o in owners}) == 3 and 'src07' in owners
        assert s['idx'] == 'src07' and s['query'] == split.query_text('bus')
    with pytest.raises(ValueError, match='different labels'):
        split.make_splice(feats, labels, ['src00', 'src01', 'src03'], rng, 2.0)


def test_ridge_fit_matches_an_independent_solution():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(40, 5, generator=gen) * 3 + 1, torch.randn(40, 2, generator=gen)
    stats, w = split.ridge_fit(x, y, lam=2.0)
    z = np.concatenate([((x - x.mean(0)) / (x.std(0) + 1e-6)).numpy(), np.ones((40, 1))], 1)
    # minimise |z w - y|^2 + 2 |w[:5]|^2 as an augmented least-squares problem
    aug_z = np.concatenate([z, np.concatenate([np.sqrt(2.0) * np.eye(5), np.zeros((5, 1))], 1)])
    aug_y = np.concatenate([y.numpy(), np.zeros((5, 2))])
    expected = np.linalg.lstsq(aug_z, aug_y, rcond=None)[0]
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(split.ridge_map(stats, w, x).numpy(), z @ expected, rtol=1e-4, atol=1e-4)


def test_linear_matcher_finds_the_mapped_source():
    # features of source i are e_i; the ridge map sends e_i to the query embedding of i
    feats, labels = _sources(num=4, frames=6)
    x = torch.cat([feats[k][:, 0] for k in labels])
    emb = torch.eye(4) * 2 - 1  # query embedding per source (4, D=4)
    y = torch.cat([emb[i].expand(6, 4) for i in range(4)])
    stats, w = split.ridge_fit(x, y, lam=0.1)
    s = split.make_splice(feats, labels, list(labels), random.Random(2), 2.0, target='s1')
    span = split.linear_matcher_baseline(s, stats, w, emb[1],
                                         lambda c: split.longest_run(c >= 0.5 * c.max()))
    np.testing.assert_allclose(span, s['segments'][0])


def test_caption_text_names_the_top_classes():
    logits = torch.tensor([[0.0, 3.0, 1.0, 2.0], [0.0, 2.0, 1.0, 3.5]])
    assert split.caption_text(logits, ['w', 'x', 'y', 'z']) == 'It shows z, x or y.'
    assert split.caption_text(logits, ['w', 'x', 'y', 'z'], k=1) == 'It shows z.'
