"""mmvsumm's registries: children of MMEngine's root registries (scope 'mmvsumm').

Besides the datasets, metrics and models of this package, the children that a
Runner looks up under ``default_scope = 'mmvsumm'`` (loops, samplers, hooks,
visualisation backends) exist so that the lookup resolves without warnings.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import Registry

__all__ = ['DATASETS', 'METRICS', 'MODELS', 'DATA_SAMPLERS', 'HOOKS', 'LOOPS', 'VISBACKENDS']

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['mmvsumm.datasets'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mmvsumm.metrics'])
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmvsumm.models'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS)
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmvsumm.hooks'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
