"""The registered MMEngine dataset and metric give the CLI's numbers."""
import numpy as np
import pytest
from mmengine.registry import DATASETS as ROOT_DATASETS
from mmengine.registry import METRICS as ROOT_METRICS

from mmvsumm import importance_scores
from mmvsumm.evaluate import run_evaluation
from mmvsumm.registry import DATASETS, METRICS


def test_registries_are_children_of_mmengine_roots():
    assert DATASETS.parent is ROOT_DATASETS and METRICS.parent is ROOT_METRICS
    assert DATASETS.scope == METRICS.scope == 'mmvsumm'


def test_dataset_and_metric_reproduce_the_cli_split(tvsum_h5):
    h5, anno, _ = tvsum_h5
    dataset = ROOT_DATASETS.build(dict(type='mmvsumm.Eccv16Dataset', ann_file=str(h5),
                                       dataset='tvsum', tvsum_anno=str(anno),
                                       setting='canonical', split_index=2))
    metric = ROOT_METRICS.build(dict(type='mmvsumm.VSummMetric', dataset='tvsum'))
    assert len(dataset) == 10
    for item in dataset:
        pred = importance_scores(item['features'], 0.1, ('align', 'uniform'))
        metric.process(None, [dict(pred_score=pred, record=item['record'])])
    got = metric.evaluate(len(dataset))
    want = run_evaluation(h5, 'tvsum', 'canonical', anno=anno).splits[2]
    assert got['vsumm/f1'] == pytest.approx(want.f1)
    assert got['vsumm/kendall'] == pytest.approx(want.kendall)
    assert got['vsumm/spearman'] == pytest.approx(want.spearman)


def test_dataset_train_subset_and_all_videos(summe_h5):
    from mmvsumm import VSummInputError
    h5, _, _ = summe_h5
    train = DATASETS.build(dict(type='Eccv16Dataset', ann_file=str(h5), dataset='summe',
                                setting='canonical', split_index=0, subset='train'))
    every = DATASETS.build(dict(type='Eccv16Dataset', ann_file=str(h5), dataset='summe'))
    assert len(train) == 20 and len(every) == 25
    augmented = dict(type='Eccv16Dataset', ann_file=str(h5), dataset='summe',
                     setting='augmented', split_index=0, subset='train')
    with pytest.raises(VSummInputError, match='eccv16_dataset_tvsum_google_pool5.h5: not found'):
        DATASETS.build(augmented)  # the other datasets' h5 files belong next to this one
    assert np.asarray(every[0]['features']).ndim == 2
