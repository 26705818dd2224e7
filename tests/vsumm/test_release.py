"""``variant='release'`` against a direct re-computation of the official release's
formulas (tests/vsumm/reference.py) on the same features, to 1e-5."""
import numpy as np
import pytest
import torch

from mmvsumm.io.h5 import read_eccv16
from mmvsumm.io.tvsum_anno import attach_tvsum_scores
from mmvsumm.metrics.evaluation import evaluate_video
from mmvsumm.metrics.protocol import Protocol
from mmvsumm.models.refinement import ContrastiveRefinement, refinement_loss
from mmvsumm.presets import protocol_options, score_options
from mmvsumm.scores import importance_scores

from .reference import (release_f1, release_network, release_postprocess, release_rank,
                        release_terms, release_training_loss)


@pytest.mark.parametrize('dataset', ['tvsum', 'summe'])
@pytest.mark.parametrize('scores', ['align', 'align+uniform'])
# the 1e-5 claim holds for T >= 20 (K = int(0.1 T) >= 2; int(aT) != round(aT) for 25, 35, ...);
# below, the release's L_align is rounding noise (the next test)
@pytest.mark.parametrize('steps', [*range(20, 40), 120])
def test_training_free_scores_equal_the_release(dataset, scores, steps):
    feats = np.random.default_rng(steps).normal(size=(steps, 32)).astype(np.float32)
    laln, lunif = release_terms(feats.astype(np.float64), feats.astype(np.float64), 0.1)
    want = release_postprocess([laln, lunif][:len(scores.split('+'))], dataset)
    got = importance_scores(feats, **score_options(scores, 'release', dataset))
    np.testing.assert_allclose(got, want, atol=1e-5)
    thesis = importance_scores(feats, **score_options(scores, 'thesis', dataset))
    assert np.abs(thesis - want).max() > 1e-3  # the comparison can tell the variants apart


@pytest.mark.parametrize('steps', range(10, 20))
def test_release_neighbour_set_of_fewer_than_20_steps_is_the_frame_itself(steps):
    """K = int(0.1 T) = 1: the release's L_align is float rounding noise (0 up to
    1e-6), which it min-max scales; mmvsumm keeps the term constant and warns (as for
    K = 0 below 10 steps, where the release averages an empty set)."""
    from mmvsumm.errors import VSummWarning
    feats = np.random.default_rng(steps).normal(size=(steps, 32)).astype(np.float32)
    raw = feats.astype(np.float64)
    laln, lunif = release_terms(raw, raw, 0.1)
    assert np.abs(laln).max() < 1e-6  # no information, only rounding
    for dataset in ('tvsum', 'summe'):
        with pytest.warns(VSummWarning, match=f'a {steps}-step video has the frame itself'):
            got = importance_scores(feats, **score_options('align+uniform', 'release', dataset))
        want = release_postprocess([lunif], dataset)  # align: a constant factor 1
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_no_warning_from_20_steps_or_for_the_thesis_variant(recwarn):
    from mmvsumm.errors import VSummWarning
    rng = np.random.default_rng(0)
    importance_scores(rng.normal(size=(20, 8)), **score_options('align', 'release', 'tvsum'))
    importance_scores(rng.normal(size=(12, 8)), **score_options('align', 'thesis', 'tvsum'))
    assert not [w for w in recwarn if issubclass(w.category, VSummWarning)]


@pytest.mark.parametrize('fixture,dataset', [('tvsum_h5', 'tvsum'), ('summe_h5', 'summe')])
def test_release_evaluation_ranks_at_2fps_with_the_integer_knapsack(request, fixture, dataset):
    h5, anno, _ = request.getfixturevalue(fixture)
    records = read_eccv16(h5, [f'video_{i}' for i in range(1, 6)])
    if dataset == 'tvsum':
        attach_tvsum_scores(records, anno)
    release = Protocol(dataset, **protocol_options('release'))
    for record in records.values():
        scores = importance_scores(record.features, **score_options('align', 'release', dataset))
        got = evaluate_video(scores, record, release)
        users = record.user_scores if dataset == 'tvsum' else record.user_summary
        tau, rho = release_rank(scores, users[:, ::15])  # the release's 2 fps references
        f1 = release_f1(scores, record.change_points, record.n_frames, record.picks,
                        record.user_summary, 'mean' if dataset == 'tvsum' else 'max')
        assert got.kendall == pytest.approx(tau, abs=1e-5)
        assert got.spearman == pytest.approx(rho, abs=1e-5)
        assert got.f1 == pytest.approx(100 * f1, abs=1e-5)
        frame = evaluate_video(scores, record, Protocol(dataset, rank_level='frame'))
        assert frame.kendall != pytest.approx(tau, abs=1e-5)


def _release_model(in_dim: int, layers: int, heads: int, dataset: str) -> ContrastiveRefinement:
    torch.manual_seed(0)
    model = ContrastiveRefinement(in_dim, layers, heads, segment=2, variant='release',
                                  scores='align+uniform+filter', dataset=dataset)
    with torch.no_grad():  # LayerNorm affine parameters away from (1, 0)
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model.eval()


def test_release_network_and_loss_equal_the_release():
    model = _release_model(32, 2, 2, 'tvsum')
    params = {k: v.double().numpy() for k, v in model.net.state_dict().items()}
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(40, 32)).astype(np.float32) for _ in range(3)]
    refs = [release_network(params, f.astype(np.float64), 2, 2) for f in feats]
    with torch.no_grad():
        encoded = model.net.encode(torch.from_numpy(np.stack(feats)))
        uniq = model.net.uniqueness(encoded)
        loss = refinement_loss(model.net, feats, **model.loss_options)
    for b, (proj, h) in enumerate(refs):
        np.testing.assert_allclose(encoded[b].numpy(), proj, atol=1e-5)
        np.testing.assert_allclose(uniq[b].numpy(), h, atol=1e-5)
    want = release_training_loss(feats, [p for p, _ in refs], [h for _, h in refs], 0.1, 0.5)
    # the release's L_unique is log mean exp(4 cos); eq. 3.9's exp(-2 ||z - s||^2) is
    # exp(4 cos - 4) for unit vectors: lambda2 * 4 lower, the same gradients
    assert float(loss) + 0.1 * 4.0 == pytest.approx(want, abs=1e-5)


@pytest.mark.parametrize('dataset', ['tvsum', 'summe'])
def test_release_refined_scores_equal_the_release(dataset):
    model = _release_model(24, 1, 4, dataset)
    params = {k: v.double().numpy() for k, v in model.net.state_dict().items()}
    feats = np.random.default_rng(1).normal(size=(57, 24)).astype(np.float32)
    proj, uniq = release_network(params, feats.astype(np.float64), 1, 4)
    laln, lunif = release_terms(feats.astype(np.float64), proj, 0.1)
    want = release_postprocess([laln, lunif, uniq], dataset)
    got = model(features=[feats], record=[None], mode='predict')[0]['pred_score']
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize('fixture,dataset', [('tvsum_h5', 'tvsum'), ('summe_h5', 'summe')])
def test_cli_variant_release_equals_the_release_end_to_end(request, tmp_path, fixture, dataset):
    import json

    from mmvsumm.cli import main
    h5, anno, _ = request.getfixturevalue(fixture)
    out = tmp_path / 'report.json'
    assert main(['evaluate', '--dataset', dataset, '--h5', str(h5), '--anno', str(anno),
                 '--setting', 'transfer', '--variant', 'release', '--json', str(out)]) == 0
    report = json.loads(out.read_text())
    assert report['protocol']['rank_level'] == 'step' and report['protocol']['value_scale'] == 1000
    records = read_eccv16(h5)
    if dataset == 'tvsum':
        attach_tvsum_scores(records, anno)
    for video in report['videos']:
        record = records[video['name'].split('/')[-1]]
        feats = record.features.astype(np.float64)
        scores = release_postprocess(list(release_terms(feats, feats, 0.1)), dataset)
        users = record.user_scores if dataset == 'tvsum' else record.user_summary
        tau, rho = release_rank(scores, users[:, ::15])
        f1 = release_f1(scores, record.change_points, record.n_frames, record.picks,
                        record.user_summary, 'mean' if dataset == 'tvsum' else 'max')
        assert (video['kendall'], video['spearman']) == pytest.approx((tau, rho), abs=1e-5)
        assert video['f1'] == pytest.approx(100 * f1, abs=1e-5)
