"""mmvsumm's registries: children of MMEngine's root registries (scope 'mmvsumm')."""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import Registry

__all__ = ['DATASETS', 'METRICS']

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['mmvsumm.datasets'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mmvsumm.metrics'])
