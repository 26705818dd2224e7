"""Run a trained S2L model on one video and query: the core of ``mms2l ask`` and ``mms2l infer``.

The test-time preprocessing is a pipeline of registered steps (``LoadVideoFrames``,
``ResizeCenterCrop``, ``FormatS2LInputs``): a config's ``test_pipeline`` or, without a
config, the checkpoint's own (``S2LModel.test_pipeline()``). The prompt tokens are
always built with the model's own tokenizers.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import torch

from .datasets import s2l_collate

#: command-line decoder names -> the model's decoder types.
DECODERS = dict(threshold='threshold', critical_point='critical_point', head='loc_head',
                loc_head='loc_head')


def special_tokens(tokenizer) -> list[str]:
    """Every special token of a tokenizer, the added ones (``<loc>``, ...) included."""
    added = [t.content for t in tokenizer.added_tokens_decoder.values() if t.special]
    return sorted(set(tokenizer.all_special_tokens) | set(added), key=len, reverse=True)


def build_pipeline(model, steps: Sequence[dict] | None = None, fps: float | None = None,
                   size: int | None = None):
    """Compose the test-time preprocessing: ``steps`` (a config's test pipeline) or, by
    default, the model's own (``model.test_pipeline()``: its checkpoint's fps and frame
    size). The ``FormatS2LInputs`` step always uses the model's tokenizers and no answer;
    ``fps`` / ``size`` override the sampling rate and frame size when given."""
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    steps = copy.deepcopy(list(steps) if steps is not None else model.test_pipeline())
    for step in steps:
        if step['type'] == 'LoadVideoFrames':
            step['max_frames'] = min(step.get('max_frames', model.max_frames), model.max_frames)
            if fps is not None:
                step['fps'] = fps
        elif step['type'] == 'ResizeCenterCrop' and size is not None:
            step['size'] = size
        elif step['type'] == 'FormatS2LInputs':
            step.update(tokenizer=dict(model.config['tokenizer']), with_answer=False,
                        qformer_tokenizer=copy.deepcopy(model.config['qformer_tokenizer']))
    with DefaultScope.overwrite_default_scope('mms2l'):
        return Compose(steps)


def prepare(pipeline, video: str | Path, query: str, duration: float | None = None,
            vid_times: Sequence[float] = (), **meta) -> dict:
    """Load and pack one sample: ``{'inputs': ..., 'data_sample': ...}``. ``duration``
    (seconds) overrides the container's; ``vid_times`` are the ``<vid>`` references."""
    return pipeline(dict(video_path=str(video), query=query, duration=duration,
                         vid_times=list(vid_times), **meta))


def with_answer_prefix(packed: dict, prefix_ids: Sequence[int]) -> dict:
    """A copy of a packed sample whose prompt continues with ``prefix_ids`` (the answer
    is generated after them, e.g. after ``"Best Option: ("``)."""
    out = dict(inputs=dict(packed['inputs']), data_sample=dict(packed['data_sample']))
    extra = torch.as_tensor(list(prefix_ids), dtype=torch.long)
    for key in ('input_ids', 'labels'):
        fill = extra if key == 'input_ids' else torch.full_like(extra, -100)
        out['inputs'][key] = torch.cat([packed['inputs'][key], fill])
    out['data_sample']['prompt_length'] = packed['data_sample']['prompt_length'] + len(extra)
    return out


@contextmanager
def using_decoder(model, decoder: dict | None) -> Iterator[None]:
    """Temporarily make ``decoder`` the model's default timestamp decoder."""
    saved = model.decoder
    model.decoder = decoder or saved
    try:
        yield
    finally:
        model.decoder = saved


@torch.no_grad()
def run(model, packed: dict, decoder: dict | None = None) -> dict:
    """Generate the summary of one packed sample and decode every ``<loc>`` -> the
    model's result dict (``text``, ``forced_loc``, ``locs`` with ``curve`` (T,),
    ``frames`` (N, 2), ``segments`` (N, 2) seconds, ``scores`` (N,); ``sec_per_frame``)."""
    with using_decoder(model, decoder):
        return model.test_step(s2l_collate([packed]))[0]


def localize(model, video: str | Path, query: str, fps: float | None = None,
             size: int | None = None, decoder: dict | None = None,
             pipeline=None) -> dict:
    """Summarise and localise ``query`` in ``video`` (see :func:`run` for the result).
    Preprocessing: ``pipeline`` if given, else the model's own with the optional
    ``fps`` / ``size`` overrides."""
    pipeline = pipeline or build_pipeline(model, fps=fps, size=size)
    return run(model, prepare(pipeline, video, query), decoder)
