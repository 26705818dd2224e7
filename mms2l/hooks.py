"""Hook writing the trained model as a self-contained Hugging Face style directory."""
from __future__ import annotations

from pathlib import Path

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from .registry import HOOKS


@HOOKS.register_module()
class SaveS2LPretrainedHook(Hook):
    """After training, call ``model.save_pretrained(<work_dir>/<out_dir>)``: config with
    preprocessing, both tokenizers, LoRA adapter and heads (see ``S2LModel.save_pretrained``)."""
    priority = 'LOW'

    def __init__(self, out_dir: str = 's2l_pretrained') -> None:
        self.out_dir = out_dir

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if runner.rank == 0:
            path = model.save_pretrained(Path(runner.work_dir) / self.out_dir)
            runner.logger.info(f'saved the S2L model (config, tokenizers, adapter, heads) to {path}')
