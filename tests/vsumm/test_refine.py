"""Contrastive refinement: losses against the score equations and loops, training."""
import math

import numpy as np
import pytest
import torch

from mmvsumm import VSummInputError, global_consistency, local_dissimilarity
from mmvsumm.models.losses import (align_loss, filter_loss, segment_features, uniform_loss,
                                   unique_loss)
from mmvsumm.models.refiner import ContrastiveRefiner
from mmvsumm.refine import (REFINE_PRESETS, RefineConfig, _batch_loss, refined_importance,
                            resample_indices, train_refiner)
from mmvsumm.scores import nearest_neighbours


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add overhead on a busy machine
    yield
    torch.set_num_threads(previous)


def unit(rng, num, dim):
    z = rng.normal(size=(num, dim))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def test_align_and_uniform_losses_equal_eqs_3_4_and_3_5_on_unit_features():
    z = unit(np.random.default_rng(0), 30, 8)
    nbrs = torch.from_numpy(nearest_neighbours(z, 0.1))
    zt = torch.from_numpy(z)
    np.testing.assert_allclose(align_loss(zt, nbrs).numpy(), local_dissimilarity(z, 0.1),
                               atol=1e-10)
    np.testing.assert_allclose(uniform_loss(zt).numpy(), global_consistency(z), atol=1e-10)
    assert uniform_loss(zt[:1]).tolist() == [0.0]


def test_unique_loss_and_segments_by_loops():
    rng = np.random.default_rng(1)
    z, others = unit(rng, 7, 5), unit(rng, 4, 5)
    got = unique_loss(torch.from_numpy(z), torch.from_numpy(others)).numpy()
    want = [math.log(sum(math.exp(-2 * np.sum((zt - s) ** 2)) for s in others) / 4) for zt in z]
    np.testing.assert_allclose(got, want, atol=1e-10)
    segs = segment_features(torch.from_numpy(z), 3).numpy()
    assert segs.shape == (3, 5)  # 3 + 3 + 1 frames
    mean = z[3:6].mean(0)
    np.testing.assert_allclose(segs[1], mean / np.linalg.norm(mean), atol=1e-12)


def test_filter_loss_is_a_real_bce():
    r = torch.tensor([0.9, 0.2, 0.5])
    y = torch.tensor([1.0, 0.0, 0.25])
    want = [-(t * math.log(p) + (1 - t) * math.log(1 - p)) for p, t in zip(r.tolist(), y.tolist())]
    np.testing.assert_allclose(filter_loss(r, y).numpy(), want, rtol=1e-6)
    assert (filter_loss(r, y) > 0).all()


def test_refiner_shapes_and_unit_outputs():
    model = ContrastiveRefiner(32, layers=2, heads=8).eval()
    z = model(torch.randn(3, 17, 32))
    assert z.shape == (3, 17, 128)
    np.testing.assert_allclose(z.norm(dim=-1).detach().numpy(), 1.0, atol=1e-5)
    h = model.uniqueness(z)
    assert h.shape == (3, 17) and ((h > 0) & (h < 1)).all()
    assert model.encoder[0].qkv.out_features == 3 * 8 * 64  # d_head 64 per head


def test_resampling():
    rng = np.random.default_rng(0)
    longer = resample_indices(500, 200, rng)
    assert len(longer) == 200 and (np.diff(longer) > 0).all()
    assert resample_indices(3, 6, rng).tolist() == [0, 0, 1, 1, 2, 2]


def shots_video(rng, num, dim, centres):
    labels = np.sort(rng.integers(0, len(centres), size=num))
    return (centres[labels] + 0.3 * rng.normal(size=(num, dim))).astype(np.float32)


def test_training_lowers_the_loss_and_scores_are_finite():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(6, 24))
    videos = [shots_video(rng, int(rng.integers(40, 80)), 24, centres) for _ in range(4)]
    config = RefineConfig(epochs=15, lr=1e-3, frames=40, batch_videos=4, layers=1, segment=5)
    fixed = [v[resample_indices(len(v), 40, np.random.default_rng(9))] for v in videos]
    torch.manual_seed(config.seed)
    initial = ContrastiveRefiner(24, config.layers, config.heads).eval()
    trained = train_refiner(videos, config)
    with torch.no_grad():
        assert _batch_loss(trained, fixed, config) < _batch_loss(initial, fixed, config)
    for terms in (('align',), ('align', 'uniform'), ('align', 'filter'),
                  ('align', 'uniform', 'filter')):
        scores = refined_importance(videos[0], trained, terms)
        assert scores.shape == (len(videos[0]),) and np.isfinite(scores).all()
    assert np.isfinite(refined_importance(videos[0][:1], trained)).all()  # T = 1


def test_refinement_input_errors():
    with pytest.raises(VSummInputError, match='at least 2 training videos'):
        train_refiner([np.zeros((5, 4), np.float32)])
    with pytest.raises(VSummInputError, match='different feature sizes'):
        train_refiner([np.zeros((5, 4), np.float32), np.zeros((5, 3), np.float32)])
    with pytest.raises(VSummInputError, match='terms'):
        refined_importance(np.zeros((5, 4)), ContrastiveRefiner(4, layers=1), ('unique',))


def test_evaluate_with_refinement_trains_per_split(tmp_path, summe_h5):
    import json

    from mmvsumm.evaluate import run_evaluation

    from .h5fixture import make_dataset
    h5, _, _ = summe_h5
    ovp_h5, _, _ = make_dataset(tmp_path, 'ovp', ['video_1', 'video_2', 'video_3'], seed=5)
    summe = 'eccv16_dataset_summe_google_pool5'
    ovp = 'eccv16_dataset_ovp_google_pool5'
    splits = tmp_path / 'splits.json'
    splits.write_text(json.dumps([
        {'train_keys': [f'{summe}/video_{i}' for i in (4, 5, 6)],
         'test_keys': [f'{summe}/video_1']},
        {'train_keys': [f'{ovp}/video_{i}' for i in (1, 2, 3)],
         'test_keys': [f'{summe}/video_2', f'{summe}/video_3']}]))
    config = RefineConfig(epochs=1, frames=32, layers=1, batch_videos=3)
    report = run_evaluation(h5, 'summe', scores='align+uniform+filter', split_file=splits,
                            refine=config, train_h5=[ovp_h5])
    assert report.method == 'L_align & L_uniform & H'
    assert [v.name.split('/')[1] for v in report.videos] == ['video_1', 'video_2', 'video_3']
    assert np.isfinite([report.overall.f1, report.overall.kendall]).all()
    with pytest.raises(VSummInputError, match='needs eccv16_dataset_ovp_google_pool5.h5'):
        run_evaluation(h5, 'summe', split_file=splits, refine=config)


def test_filter_scores_need_refine(summe_h5, capsys):
    from mmvsumm.cli import main
    h5, _, _ = summe_h5
    assert main(['evaluate', '--dataset', 'summe', '--h5', str(h5), '--scores',
                 'align+filter']) == 2
    assert 'add --refine' in capsys.readouterr().err


def test_release_preset_changes_the_loss_and_widens_the_model():
    rng = np.random.default_rng(3)
    videos = [rng.normal(size=(20, 12)).astype(np.float32) for _ in range(2)]
    thesis = RefineConfig(frames=20, layers=1, segment=5)
    release = RefineConfig(frames=20, layers=1, segment=5, variant='release')
    torch.manual_seed(0)
    model = ContrastiveRefiner(12, layers=1, d_model=256, style='release').eval()
    with torch.no_grad():  # own segments, self-neighbours, squashed target change the loss
        assert _batch_loss(model, videos, release) != _batch_loss(model, videos, thesis)
        assert torch.isfinite(_batch_loss(model, videos[:1], release))  # own segments: 1 video
    with pytest.raises(VSummInputError, match='>= 2 videos'):
        _batch_loss(model, videos[:1], thesis)
    trained = train_refiner(videos, RefineConfig(epochs=1, frames=20, layers=1, segment=5,
                                                 **REFINE_PRESETS['release']))
    assert trained.project.out_features == 256 and trained.style == 'release'
    assert isinstance(trained.input_norm, torch.nn.LayerNorm)
    assert all(m.p == 0 for m in trained.modules() if isinstance(m, torch.nn.Dropout))
