"""MMEngine registries of the ``mms2l`` scope (children of MMEngine's root registries)."""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mms2l.models'], scope='mms2l')
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['mms2l.datasets'],
                    scope='mms2l')
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, locations=['mms2l.datasets'],
                      scope='mms2l')
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=['mms2l.datasets'],
                     scope='mms2l')
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mms2l.evaluation'],
                   scope='mms2l')
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mms2l.hooks'], scope='mms2l')
