"""mmvsumm's registries: children of MMEngine's root registries (scope 'mmvsumm')."""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

__all__ = ['DATASETS', 'METRICS', 'MODELS']

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['mmvsumm.datasets'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mmvsumm.metrics'])
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmvsumm.models'])
