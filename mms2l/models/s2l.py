"""S2L: a video LLM that summarises each relevant segment and localises it by context matching.

Data flow (all explicit, nothing kept between calls)::

    frames (N, 3, H, W) --vision tower--> patches (N, K, Cv) --compressor--> frame tokens (N, C)
    input_ids (B, L) with one <frame> token per frame --embed + scatter--> inputs_embeds (B, L, C)
    4-D mask (causal; frame tokens bidirectional) --LLM decoder--> hidden states (B, L, C) per layer
    frame hidden states (T, C) and <loc> hidden states (M, C) --F_vis/F_sum, cosine--> S (M, T)

Which hidden state represents ``<loc>``: by default (``loc_hidden='own'``) the
state at the ``<loc>`` token's own position, i.e. after ``<loc>`` has been fed
back as input, so it attends over the whole summary it closes; ``'emit'`` takes
the state at the previous position (the one whose output predicts ``<loc>``);
``'mean'`` averages the states of the segment's summary tokens up to and
including ``<loc>`` (the pooling the thesis applies to pre-trained LLMs, table 4.4).
The layer is ``hidden_layer`` (index into the decoder's hidden states, 0 = the
input embeddings, -1 = the final normed output feeding the LM head); frame
hidden states come from the same layer.
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel

from mmcontrast.fileio import TEMP_MARKER, atomic_path, read_json, write_json_atomic

from ..decoding import critical_point_decode, loc_head_decode, threshold_decode
from ..errors import S2LInputError
from ..losses import context_matching_loss, context_matching_scores, loc_head_loss
from ..registered_types import check_registered_types
from ..registry import MODELS
from ..tokenization import load_tokenizer, token_ids
from .language_model import (NewTokens, apply_lora, base_llm, build_frame_attention_mask,
                             build_llm, run_decoder)

# E.T.Chat's stage 3 (tuning_mode='attention' with matching): LoRA, the Q-Former's self-
# and cross-attention layers, its query tokens, ln_vision and the pooling projections,
# the LLM's embeddings and LM head, and the matching heads (here also the new-token rows
# and the optional localization head).
DEFAULT_TRAINABLE = (r'lora_',
                     r'^compressor\.qformer\.encoder\.layer\.\d+\.(attention|crossattention)\.',
                     r'^compressor\.(query_tokens$|(ln_vision|out_proj|q_proj|k_proj|v_proj)\.)',
                     r'(^|\.)embed_tokens\.', r'(^|\.)lm_head\.',
                     r'^new_tokens\.', r'^context_matching\.', r'^loc_head\.')
CONFIG_FILE, ADAPTER_DIR, HEADS_FILE = 's2l_config.json', 'adapter', 'heads.safetensors'
TOKENIZER_DIR, QFORMER_TOKENIZER_DIR = 'tokenizer', 'qformer_tokenizer'
ADAPTER_WEIGHTS = 'adapter_model.safetensors'


@MODELS.register_module()
class S2LModel(BaseModel):
    """The S2L model (thesis section 4.3).

    Args:
        llm: kwargs of :func:`build_llm` (``pretrained`` path or ``config``).
        tokenizer: kwargs of :func:`load_tokenizer` (``path``, ``gguf_file``).
        qformer_tokenizer: ``dict(path=...)`` of the Q-Former's own tokenizer when the
            Q-Former is conditioned on the user query (E.T.Chat); every batch must then
            carry ``qformer_ids`` (``FormatS2LInputs(qformer_tokenizer=...)``).
        preprocessing: ``dict(fps, frame_size)`` of the frames the model was trained on
            (normalisation: the data preprocessor's mean/std); ``frame_size`` defaults
            to the vision tower's input size.
        vision_tower: config of a registered vision tower.
        compressor: extra kwargs of :class:`QFormerFrameCompressor`.
        context_matching: extra kwargs of :class:`ContextMatching`.
        loc_head: extra kwargs of :class:`LocalizationHead`, or None for no head.
        lora: kwargs of :func:`apply_lora`, or None for no adapters.
        trainable: regexes over parameter names; matching parameters train, all others freeze.
        loc_hidden: ``'own'``, ``'emit'`` or ``'mean'`` (see the module docstring).
        hidden_layer: decoder hidden-state index used for frames and ``<loc>``.
        temperature: tau of the context-matching loss.
        cm_weight: weight of L_CM in L = L_LM + w * L_CM.
        loc_weight: weight of the localization-head loss.
        max_frames: longest video (in sampled frames) the model accepts.
        frame_token_scale: when set, every frame token is rescaled to this multiple of
            the mean norm of the LLM's input-embedding rows before it enters the LLM (a
            compressor from scratch emits tokens ~5x the norm of text embeddings);
            None keeps the compressor's output as is.
        center_frames: subtract each video's mean frame state before F_vis (the
            LLM's frame states share a large common component).
        decoder: default timestamp decoder, ``dict(type='threshold' | 'critical_point' |
            'loc_head', **kwargs)``.
        max_new_tokens: generation budget.
        force_loc: when generation ends without any ``<loc>``, append one (reported
            as ``forced_loc``) so the summary is still localised.
        data_preprocessor: config of the data preprocessor.
    """

    def __init__(self, llm: dict, tokenizer: dict, vision_tower: dict,
                 qformer_tokenizer: dict | None = None, preprocessing: dict | None = None,
                 compressor: dict | None = None, context_matching: dict | None = None,
                 loc_head: dict | None = None, lora: dict | None = None,
                 trainable: Sequence[str] = DEFAULT_TRAINABLE, loc_hidden: str = 'own',
                 hidden_layer: int = -1, temperature: float = 0.07, cm_weight: float = 1.0,
                 loc_weight: float = 1.0, max_frames: int = 350,
                 frame_token_scale: float | None = None, center_frames: bool = False,
                 decoder: dict | None = None, max_new_tokens: int = 128, force_loc: bool = True,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        preprocessor = MODELS.build(data_preprocessor or dict(type='S2LDataPreprocessor'))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        preprocessor_cfg = dict(data_preprocessor or dict(type='S2LDataPreprocessor'),
                                mean=preprocessor.mean.flatten().tolist(),
                                std=preprocessor.std.flatten().tolist())
        if loc_hidden not in ('own', 'emit', 'mean'):
            raise ValueError(f"loc_hidden must be 'own', 'emit' or 'mean', got {loc_hidden!r}")
        self.vision_tower = MODELS.build(vision_tower)
        preprocessing = _preprocessing(preprocessing, getattr(self.vision_tower, 'image_size', None))
        self.config = _plain(dict(
            llm=llm, tokenizer=tokenizer, qformer_tokenizer=qformer_tokenizer,
            preprocessing=preprocessing, vision_tower=vision_tower, compressor=compressor,
            context_matching=context_matching, loc_head=loc_head, lora=lora,
            trainable=list(trainable), loc_hidden=loc_hidden, hidden_layer=hidden_layer,
            temperature=temperature, cm_weight=cm_weight, loc_weight=loc_weight,
            max_frames=max_frames, frame_token_scale=frame_token_scale,
            center_frames=center_frames, decoder=decoder, max_new_tokens=max_new_tokens,
            force_loc=force_loc, data_preprocessor=preprocessor_cfg))
        self.tokenizer = load_tokenizer(**tokenizer)
        self.token_ids = token_ids(self.tokenizer)
        llm_module = build_llm(**llm)
        hidden = llm_module.get_input_embeddings().embedding_dim
        self.compressor = MODELS.build(dict(type='QFormerFrameCompressor', **(compressor or {}),
                                            vision_channels=self.vision_tower.out_channels,
                                            llm_hidden=hidden))
        self.qformer_tokenizer = (_load_qformer_tokenizer(qformer_tokenizer['path'], self.compressor)
                                  if qformer_tokenizer is not None else None)
        self.new_tokens = NewTokens(self.token_ids.new, llm_module.get_input_embeddings().weight,
                                    llm_module.get_output_embeddings().weight)
        self.context_matching = MODELS.build(dict(type='ContextMatching', in_dim=hidden,
                                                  **(context_matching or {})))
        match_dim = self.context_matching.f_vis[-1].out_features
        self.loc_head = (MODELS.build(dict(type='LocalizationHead', dim=match_dim, **loc_head))
                         if loc_head is not None else None)
        self.llm = apply_lora(llm_module, **lora) if lora is not None else llm_module
        self.loc_hidden, self.hidden_layer = loc_hidden, hidden_layer
        self.temperature, self.cm_weight, self.loc_weight = temperature, cm_weight, loc_weight
        self.max_frames, self.max_new_tokens, self.force_loc = max_frames, max_new_tokens, force_loc
        self.decoder = decoder or dict(type='threshold')
        if frame_token_scale is not None and not frame_token_scale > 0:
            raise ValueError(f'frame_token_scale must be > 0 or None, got {frame_token_scale!r}')
        self.frame_token_scale, self.center_frames = frame_token_scale, center_frames
        self._set_trainable(trainable)

    # ------------------------------------------------------------------ setup
    def init_weights(self) -> None:
        """No-op: every part is initialised (or loaded) when it is built."""

    def _set_trainable(self, patterns: Sequence[str]) -> None:
        regexes = [re.compile(p) for p in patterns]
        used = set()
        for name, param in self.named_parameters():
            hits = {r.pattern for r in regexes if r.search(name)}
            used |= hits
            param.requires_grad_(bool(hits))
        for pattern in set(patterns) - used - set(DEFAULT_TRAINABLE):
            print_log(f'trainable pattern {pattern!r} matches no parameter', logger='current',
                      level=30)

    def test_pipeline(self, fps: float | None = None, size: int | None = None) -> list[dict]:
        """The test-time pipeline this model was trained with: ``LoadVideoFrames`` at the
        preprocessing fps (at most ``max_frames``), ``ResizeCenterCrop`` to its frame size,
        ``FormatS2LInputs`` with its tokenizer and Q-Former tokenizer, no answer.
        ``fps`` / ``size`` override the checkpoint's values."""
        prep = self.config['preprocessing']
        return [dict(type='LoadVideoFrames', fps=fps or prep['fps'], max_frames=self.max_frames),
                dict(type='ResizeCenterCrop', size=size or prep['frame_size']),
                dict(type='FormatS2LInputs', tokenizer=dict(self.config['tokenizer']),
                     qformer_tokenizer=(dict(self.config['qformer_tokenizer'])
                                        if self.config['qformer_tokenizer'] else None),
                     with_answer=False)]

    # ------------------------------------------------------------ embedding
    def encode_frames(self, frames: torch.Tensor, num_frames: torch.Tensor,
                      qformer_ids: torch.Tensor | None = None,
                      qformer_mask: torch.Tensor | None = None) -> torch.Tensor:
        """frames (N, ...) of B videos with num_frames (B,) -> frame tokens (N, C)."""
        if len(num_frames) == 0 or int(num_frames.min()) <= 0:
            raise ValueError('every video needs at least one frame (got zero frames)')
        if int(num_frames.max()) > self.max_frames:
            raise ValueError(f'a video has {int(num_frames.max())} frames, more than '
                             f'max_frames={self.max_frames}; sample it more sparsely')
        if len(frames) != int(num_frames.sum()):
            raise ValueError(f'{len(frames)} frames given but num_frames sums to {int(num_frames.sum())}')
        if self.qformer_tokenizer is not None and qformer_ids is None:
            raise ValueError('this model conditions the Q-Former on the query (qformer_tokenizer='
                             f"{self.config['qformer_tokenizer']['path']!r}) but the batch has no "
                             'qformer_ids: build the inputs with FormatS2LInputs(qformer_tokenizer=...)')
        tower_grad = any(p.requires_grad for p in self.vision_tower.parameters())
        with torch.set_grad_enabled(torch.is_grad_enabled() and tower_grad):
            patches = self.vision_tower(frames)
        if qformer_ids is not None:
            qformer_ids = qformer_ids.repeat_interleave(num_frames, 0)
            qformer_mask = (qformer_mask.repeat_interleave(num_frames, 0)
                            if qformer_mask is not None else None)
        return self.compressor(patches, qformer_ids, qformer_mask)

    def embed_inputs(self, input_ids: torch.Tensor, frame_tokens: torch.Tensor,
                     num_frames: torch.Tensor,
                     vid_frames: Sequence[torch.Tensor] | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """input_ids (B, L) -> inputs_embeds (B, L, C) with frame tokens at ``<frame>``
        positions and, as E.T.Chat, the referred frame's token added to the ``<vid>``
        embedding at ``<vid>`` positions; also is_frame (B, L)."""
        llm = base_llm(self.llm)
        embeds = self.new_tokens.embed_ids(input_ids, llm.get_input_embeddings())
        is_frame = input_ids == self.token_ids.frame
        if not torch.equal(is_frame.sum(1).cpu(), num_frames.cpu()):
            raise ValueError(f'<frame> tokens per sample {is_frame.sum(1).tolist()} do not match '
                             f'the frames per sample {num_frames.tolist()}')
        frame_tokens = self._scale_frame_tokens(frame_tokens.to(embeds.dtype), llm)
        embeds = embeds.masked_scatter(is_frame[..., None], frame_tokens)
        is_vid = input_ids == self.token_ids.vid
        if is_vid.any():
            referred = frame_tokens[self._vid_index(is_vid, num_frames, vid_frames)]
            embeds = embeds.masked_scatter(is_vid[..., None], embeds[is_vid] + referred)
        return embeds, is_frame

    def _scale_frame_tokens(self, frame_tokens: torch.Tensor, llm) -> torch.Tensor:
        """frame tokens (N, C) -> (N, C) of norm ``frame_token_scale`` x the mean norm
        of the LLM's input-embedding rows (unchanged when the scale is None)."""
        if self.frame_token_scale is None:
            return frame_tokens
        with torch.no_grad():
            text_norm = llm.get_input_embeddings().weight.float().norm(dim=-1).mean()
        return F.normalize(frame_tokens, dim=-1) * (self.frame_token_scale * text_norm).to(
            frame_tokens.dtype)

    @staticmethod
    def _vid_index(is_vid: torch.Tensor, num_frames: torch.Tensor,
                   vid_frames: Sequence[torch.Tensor] | None) -> torch.Tensor:
        """Global frame indices (n_vid,) for the ``<vid>`` tokens, in batch order.

        ``vid_frames`` are per-sample frame indices: the sampled frame nearest the
        referred time (``FormatS2LInputs``; frames are sampled at interval centres, so
        that is ``floor(t / sec_per_frame)``, E.T.Chat's ``round(t)`` for frames at
        interval starts)."""
        if vid_frames is None:
            raise ValueError('the input has <vid> tokens but no vid_frames were given')
        offsets = torch.cumsum(num_frames, 0) - num_frames
        index = []
        for b, refs in enumerate(vid_frames):
            refs = torch.as_tensor(refs, dtype=torch.long, device=num_frames.device).reshape(-1)
            if len(refs) != int(is_vid[b].sum()):
                raise ValueError(f'sample {b}: {int(is_vid[b].sum())} <vid> tokens but '
                                 f'{len(refs)} referred frames')
            if len(refs) and (refs.min() < 0 or refs.max() >= num_frames[b]):
                raise ValueError(f'sample {b}: referred frame out of range: {refs.tolist()}')
            index.append(refs + offsets[b])
        return torch.cat(index)

    def _hidden_pass(self, inputs: dict) -> tuple[torch.Tensor, tuple, torch.Tensor]:
        """Full teacher-forced pass -> (last hidden (B, L, C), hidden states, is_frame (B, L))."""
        frame_tokens = self.encode_frames(inputs['frames'], inputs['num_frames'],
                                          inputs.get('qformer_ids'), inputs.get('qformer_mask'))
        embeds, is_frame = self.embed_inputs(inputs['input_ids'], frame_tokens,
                                             inputs['num_frames'], inputs.get('vid_frames'))
        last, hidden_states = run_decoder(self.llm, embeds,
                                          self._mask(inputs['attention_mask'], is_frame))
        return last, hidden_states, is_frame

    def _mask(self, attention_mask: torch.Tensor, is_frame: torch.Tensor) -> torch.Tensor:
        """The frame-aware 4-D mask in the form the LLM's attention implementation takes."""
        llm = base_llm(self.llm)
        return build_frame_attention_mask(attention_mask, is_frame,
                                          llm.config._attn_implementation, llm.dtype)

    def loc_states(self, hidden: torch.Tensor, ids: torch.Tensor, start: int) -> torch.Tensor:
        """hidden (L, C), ids (L,) of one sample -> the states (M, C) representing the
        ``<loc>`` tokens at or after ``start`` (the answer), per ``loc_hidden``."""
        pos = torch.nonzero(ids[start:] == self.token_ids.loc).reshape(-1) + start
        if self.loc_hidden == 'own':
            return hidden[pos]
        if self.loc_hidden == 'emit':
            return hidden[pos - 1]
        firsts = torch.cat([pos.new_tensor([start]), pos[:-1] + 1])  # each summary's first token
        return torch.stack([hidden[a:b + 1].mean(0) for a, b in zip(firsts.tolist(), pos.tolist())]) \
            if len(pos) else hidden[:0]

    def match(self, hidden: torch.Tensor, is_frame: torch.Tensor,
              loc_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """hidden (L, C) of one sample and its ``<loc>`` states (M, C) -> scores S (M, T)
        and the projected frame (T, D) / ``<loc>`` (M, D) features."""
        frames = hidden[is_frame]  # (T, C)
        if self.center_frames:
            frames = frames - frames.mean(0, keepdim=True)
        frame_feats, loc_feats = self.context_matching.project(frames, loc_states)
        return context_matching_scores(frame_feats, loc_feats), frame_feats, loc_feats

    # -------------------------------------------------------------- forward
    def forward(self, inputs: dict, data_samples: list[dict] | None = None,
                mode: str = 'tensor') -> Any:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._hidden_pass(inputs)[0]
        raise ValueError(f'unknown mode {mode!r}')

    def loss(self, inputs: dict, data_samples: list[dict]) -> dict[str, torch.Tensor]:
        """L = L_LM + w_cm * L_CM (+ w_loc * L_loc)."""
        last, hidden_states, is_frame = self._hidden_pass(inputs)
        labels = inputs['labels'][:, 1:]
        valid = labels != -100
        if not valid.any():
            raise ValueError('the batch has no answer tokens to train on')
        logits = self.new_tokens.logits(last[:, :-1][valid],
                                        base_llm(self.llm).get_output_embeddings())
        losses = dict(loss_lm=F.cross_entropy(logits.float(), labels[valid]))
        hidden = hidden_states[self.hidden_layer]
        cm, loc = [], []
        for b, sample in enumerate(data_samples):
            spans = torch.as_tensor(sample['spans'], dtype=torch.long).reshape(-1, 2)
            states = self.loc_states(hidden[b], inputs['input_ids'][b], int(sample['prompt_length']))
            if len(states) != len(spans):
                raise ValueError(f'sample {b}: the answer has {len(states)} <loc> tokens but '
                                 f'{len(spans)} ground-truth segments')
            if len(spans) == 0:
                continue
            scores, frame_feats, loc_feats = self.match(hidden[b], is_frame[b], states)
            cm.append(context_matching_loss(scores, spans, self.temperature))
            if self.loc_head is not None:
                loc.append(loc_head_loss(*self.loc_head(frame_feats, loc_feats), spans))
        zero = last.new_zeros(())
        losses['loss_cm'] = self.cm_weight * (torch.stack(cm).mean() if cm else zero)
        if self.loc_head is not None:
            losses['loss_loc'] = self.loc_weight * (torch.stack(loc).mean() if loc else zero)
        return losses

    # ------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, inputs: dict, data_samples: list[dict] | None = None) -> list[dict]:
        """Generate each sample's summary and localise every ``<loc>``.

        Returns per sample: its data sample's fields plus ``text``, ``forced_loc`` and
        ``locs`` (one dict per ``<loc>``: ``curve`` (T,) cosine scores, ``frames``
        (N, 2) half-open frame intervals, ``segments`` (N, 2) seconds, ``scores`` (N,)).
        """
        num_frames = inputs['num_frames']
        frame_tokens = self.encode_frames(inputs['frames'], num_frames,
                                          inputs.get('qformer_ids'), inputs.get('qformer_mask'))
        per_video = torch.split(frame_tokens, num_frames.tolist())
        samples = data_samples or [{} for _ in per_video]
        results = []
        for b, sample in enumerate(samples):
            length = int(sample.get('prompt_length', inputs['attention_mask'][b].sum()))
            vid = [inputs['vid_frames'][b]] if inputs.get('vid_frames') is not None else None
            results.append(dict(sample, **self.generate(
                inputs['input_ids'][b, :length], per_video[b], vid,
                float(sample.get('sec_per_frame', 1.0)))))
        return results

    @torch.no_grad()
    def generate(self, prompt_ids: torch.Tensor, frame_tokens: torch.Tensor,
                 vid_frames: Sequence[torch.Tensor] | None = None,
                 sec_per_frame: float = 1.0, decoder: dict | None = None) -> dict:
        """Greedy generation for one video: prompt_ids (L,), frame_tokens (T, C) -> result dict."""
        from transformers import DynamicCache
        llm = base_llm(self.llm)
        num_frames = torch.tensor([len(frame_tokens)], device=frame_tokens.device)
        embeds, is_frame = self.embed_inputs(prompt_ids[None], frame_tokens, num_frames, vid_frames)
        cache = DynamicCache(config=llm.config)
        last, _ = run_decoder(self.llm, embeds, self._mask(torch.ones_like(prompt_ids)[None], is_frame),
                              cache)
        banned = torch.tensor([self.token_ids.frame, self.token_ids.vid], device=last.device)
        generated: list[int] = []
        for _ in range(self.max_new_tokens):
            logits = self.new_tokens.logits(last[:, -1:], llm.get_output_embeddings())
            logits[..., banned] = torch.finfo(logits.dtype).min
            next_id = logits.argmax(-1)  # (1, 1)
            if int(next_id) in self.token_ids.eos:
                break
            generated.append(int(next_id))
            last, _ = run_decoder(self.llm, self.new_tokens.embed_ids(
                next_id, llm.get_input_embeddings()), None, cache)
        forced = self.force_loc and self.token_ids.loc not in generated
        if forced:
            generated.append(self.token_ids.loc)
        full = torch.cat([prompt_ids, prompt_ids.new_tensor(generated)])
        embeds, is_frame = self.embed_inputs(full[None], frame_tokens, num_frames, vid_frames)
        _, hidden_states = run_decoder(self.llm, embeds, self._mask(torch.ones_like(full)[None], is_frame))
        hidden = hidden_states[self.hidden_layer][0]
        states = self.loc_states(hidden, full, len(prompt_ids))
        locs = []
        if len(states):
            scores, frame_feats, loc_feats = self.match(hidden, is_frame[0], states)
            head = self.loc_head(frame_feats, loc_feats) if self.loc_head is not None else None
            for m, curve in enumerate(scores):
                extra = (torch.sigmoid(head[0][m]), head[1][m]) if head is not None else None
                locs.append(self.decode_curve(curve, sec_per_frame, decoder, extra))
        text = self.tokenizer.decode(generated, skip_special_tokens=False)
        return dict(text=text, forced_loc=forced, locs=locs, sec_per_frame=sec_per_frame)

    def decode_curve(self, curve: torch.Tensor, sec_per_frame: float, decoder: dict | None = None,
                     head: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict:
        """One ``<loc>``'s score curve (T,) -> dict(curve, frames, segments, scores)."""
        cfg = dict(decoder or self.decoder)
        kind = cfg.pop('type')
        curve_np = curve.float().cpu().numpy()
        if kind == 'threshold':
            frames, scores = threshold_decode(curve_np, **cfg)
        elif kind == 'critical_point':
            frames, scores = critical_point_decode(curve_np, **cfg)
        elif kind == 'loc_head':
            if head is None:
                raise ValueError("decoder 'loc_head' needs a model built with loc_head")
            fg, offsets = head
            frames, scores = loc_head_decode(curve_np, offsets.float().cpu().numpy(),
                                             fg.float().cpu().numpy(), **cfg)
        else:
            raise ValueError(f'unknown decoder {kind!r}')
        return dict(curve=curve_np, frames=frames, scores=scores,
                    segments=frames.astype(np.float64) * sec_per_frame)

    # -------------------------------------------------------- save and load
    def _reference_prefixes(self) -> tuple[str, ...]:
        """Parts loaded from a local checkpoint: saved by their path, not by value."""
        cfg = self.config
        prefixes = []
        if cfg['llm'].get('pretrained'):
            prefixes.append('llm.')
        if cfg['vision_tower'].get('pretrained'):
            prefixes.append('vision_tower.')
        if (cfg['compressor'] or {}).get('pretrained'):
            prefixes.append('compressor.qformer.')
        return tuple(prefixes)

    def _heads_keys(self) -> list[str]:
        """State-dict keys ``heads.safetensors`` holds: every tensor except the LoRA
        weights (in the adapter) and frozen parts loaded from a local checkpoint."""
        trainable = {n for n, p in self.named_parameters() if p.requires_grad}
        by_reference = self._reference_prefixes()
        return [k for k in self.state_dict()
                if 'lora_' not in k and (k in trainable or not k.startswith(by_reference))]

    def save_pretrained(self, save_dir: str | Path) -> Path:
        """Write a self-contained checkpoint directory::

            s2l_config.json      the model config, preprocessing (fps, frame_size, mean/std)
                                 and absolute paths of the frozen parts kept by reference
            tokenizer/           the LLM tokenizer with the S2L tokens
            qformer_tokenizer/   the Q-Former tokenizer (when the Q-Former is conditioned)
            adapter/             the peft LoRA adapter (when LoRA is used)
            heads.safetensors    every other trained or not-by-reference tensor
        """
        from safetensors.torch import save_file
        save_dir = Path(save_dir)
        save_dir.mkdir(parents=True, exist_ok=True)
        config = _absolute_references(self.config)
        config['tokenizer'] = dict(path=TOKENIZER_DIR)
        _save_folder_atomic(self.tokenizer.save_pretrained, save_dir / TOKENIZER_DIR)
        if self.qformer_tokenizer is not None:
            config['qformer_tokenizer'] = dict(path=QFORMER_TOKENIZER_DIR)
            _save_folder_atomic(self.qformer_tokenizer.save_pretrained,
                                save_dir / QFORMER_TOKENIZER_DIR)
        if self.config['lora'] is not None:
            _save_folder_atomic(self.llm.save_pretrained, save_dir / ADAPTER_DIR)
        state = self.state_dict()
        with atomic_path(save_dir / HEADS_FILE) as tmp:
            save_file({k: state[k].detach().cpu().clone().contiguous()
                       for k in self._heads_keys()}, str(tmp))
        write_json_atomic(save_dir / CONFIG_FILE, config)  # last: marks the folder complete
        return save_dir

    @classmethod
    def from_pretrained(cls, save_dir: str | Path, **overrides) -> 'S2LModel':
        """Rebuild a model written by :meth:`save_pretrained`, from any working directory
        (``overrides`` replace config keys). A missing or unreadable file, a missing
        tensor or an unexpected one is an error naming the file."""
        from peft.utils import load_peft_weights, set_peft_model_state_dict
        save_dir = Path(save_dir).expanduser().resolve()
        if not save_dir.is_dir():
            raise S2LInputError(f'{save_dir}: no such S2L checkpoint directory')
        config = _read_config(_required(save_dir / CONFIG_FILE))
        config['tokenizer'] = dict(path=str(_required(save_dir / TOKENIZER_DIR)))
        if config.get('qformer_tokenizer') is not None:
            config['qformer_tokenizer'] = dict(path=str(_required(save_dir / QFORMER_TOKENIZER_DIR)))
        _check_references(config, save_dir / CONFIG_FILE)
        config.update(overrides)
        heads = _read_safetensors(_required(save_dir / HEADS_FILE))
        if config.get('lora') is not None:
            _check_safetensors(_required(_required(save_dir / ADAPTER_DIR) / ADAPTER_WEIGHTS))
        model = cls(**config)
        if model.config['lora'] is not None:
            adapter = save_dir / ADAPTER_DIR
            result = set_peft_model_state_dict(model.llm, load_peft_weights(str(adapter)))
            missing = [k for k in getattr(result, 'missing_keys', []) if 'lora_' in k]
            unexpected = getattr(result, 'unexpected_keys', [])
            if missing or unexpected:
                raise S2LInputError(f'{adapter / ADAPTER_WEIGHTS} does not fit the model: '
                                    f'missing {missing[:5]}, unexpected {unexpected[:5]}')
        missing = sorted(set(model._heads_keys()) - set(heads))
        unexpected = sorted(set(heads) - set(model.state_dict()))
        if missing or unexpected:
            raise S2LInputError(f'{save_dir / HEADS_FILE} does not fit the model: missing '
                                f'{len(missing)} tensors {missing[:5]}, unexpected {unexpected[:5]}')
        model.load_state_dict(heads, strict=False)
        return model


def _plain(obj: Any) -> Any:
    """Config dicts (possibly mmengine ConfigDicts, tuples) -> JSON-serialisable values."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _preprocessing(given: dict | None, tower_size: int | None) -> dict:
    """``dict(fps, frame_size)``: the given values over the defaults (1 fps, the
    tower's input size or 224); a frame size the tower cannot take is an error."""
    out = {'fps': 1.0, 'frame_size': tower_size or 224, **(given or {})}
    unknown = set(out) - {'fps', 'frame_size'}
    if unknown:
        raise ValueError(f'preprocessing takes fps and frame_size, got also {sorted(unknown)}')
    if tower_size is not None and out['frame_size'] != tower_size:
        raise ValueError(f"preprocessing frame_size={out['frame_size']} but the vision tower takes "
                         f'{tower_size}x{tower_size} frames')
    return out


def _load_qformer_tokenizer(path: str, compressor):
    """The Q-Former tokenizer; its ids must fit the Q-Former's word embeddings."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(path)
    vocab = compressor.qformer.config.vocab_size
    if len(tokenizer) > vocab:
        raise ValueError(f'the Q-Former tokenizer {path} has {len(tokenizer)} tokens but the '
                         f'Q-Former embeds only {vocab}')
    return tokenizer


REFERENCE_KEYS = ('pretrained', 'checkpoint')


def _references(config: Any, where: str = ''):
    """(location, path) of every local file the config loads (``pretrained``/``checkpoint``)."""
    if isinstance(config, dict):
        for key, value in config.items():
            if key in REFERENCE_KEYS and isinstance(value, str):
                yield f'{where}{key}', value
            else:
                yield from _references(value, f'{where}{key}.')
    elif isinstance(config, list):
        for i, value in enumerate(config):
            yield from _references(value, f'{where}{i}.')


def _absolute_references(config: Any) -> Any:
    """A copy of the config with ``pretrained``/``checkpoint`` paths made absolute."""
    if isinstance(config, dict):
        return {k: (str(Path(v).expanduser().resolve()) if k in REFERENCE_KEYS and isinstance(v, str)
                    else _absolute_references(v)) for k, v in config.items()}
    if isinstance(config, list):
        return [_absolute_references(v) for v in config]
    return config


def _check_references(config: dict, config_file: Path) -> None:
    """Every frozen part the config keeps by reference exists and holds its weights as
    data (see :func:`_check_part`)."""
    for where, path in _references(config):
        if not Path(path).exists():
            raise S2LInputError(f'{config_file}: {where} = {path} does not exist (the checkpoint '
                                'keeps this frozen part by reference)')
        _check_part(Path(path), f'{config_file}: {where}')


#: weight files that are pickles: Hugging Face's ``pytorch_model.bin`` and friends.
PICKLE_WEIGHTS = ('.bin', '.ckpt', '.pkl', '.pickle')
#: small tensor files S2L itself loads with ``torch.load(weights_only=True)``.
TENSOR_FILES = ('.pt', '.pth')


def _check_part(part: Path, where: str) -> None:
    """A referenced part (a folder such as a base LLM or Q-Former, or a file) must keep its
    weights as data: safetensors files that open, ``.pt``/``.pth`` tensor files that load
    weights-only; a folder whose weights are only pickles (``pytorch_model.bin``) is
    refused. Errors name the file."""
    files = [part] if part.is_file() else sorted(p for p in part.rglob('*') if p.is_file())
    safetensors = [f for f in files if f.suffix == '.safetensors']
    for file in safetensors:
        _check_safetensors(file)
    for file in files:
        if file.suffix in PICKLE_WEIGHTS and not safetensors:
            raise S2LInputError(
                f'{where}: {file} holds weights as a pickle, which S2L never loads (it could run '
                'code); save that part as safetensors (save_pretrained(safe_serialization=True))')
        if file.suffix in TENSOR_FILES:
            try:
                torch.load(file, map_location='cpu', weights_only=True)
            except Exception as err:  # noqa: BLE001  any failure: not a plain tensor file
                raise S2LInputError(
                    f'{where}: {file} is not a plain tensor file ({type(err).__name__}); it was '
                    'refused without running it. Re-export it (python -m '
                    'mms2l.export_instructblip) or remove it') from None


def _required(path: Path) -> Path:
    if not path.exists():
        raise S2LInputError(f'{path} is missing from the S2L checkpoint {path.parent}')
    return path


#: the keys save_pretrained writes: a checkpoint's config may hold no other.
CONFIG_KEYS = frozenset(inspect.signature(S2LModel.__init__).parameters) - {'self', 'init_cfg'}


def _read_config(path: Path) -> dict:
    """``s2l_config.json``: a dict of :data:`CONFIG_KEYS` whose every ``type`` names a
    class registered in mms2l's MODELS (the decoder: one of its decoders)."""
    from ..inference import DECODERS
    config = read_json(path, 'S2L config')
    if not isinstance(config, dict) or not {'llm', 'tokenizer', 'vision_tower'} <= set(config):
        raise S2LInputError(f'{path} is not an S2L config (needs llm, tokenizer, vision_tower)')
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise S2LInputError(f'{path}: unknown keys {unknown}; an S2L config holds only '
                            f'{sorted(CONFIG_KEYS)}')
    check_registered_types(config, path, MODELS, choices=dict(decoder=set(DECODERS.values())))
    return config


def _safetensors_error(path: Path, err: Exception) -> S2LInputError:
    return S2LInputError(f'{path} is not a complete safetensors file ({err}); it may be cut '
                         'short or be another format (a pickle is never loaded)')


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file; anything else (truncated, a pickle, random
    bytes) is an error naming ``path``."""
    from safetensors.torch import load_file
    try:
        return load_file(str(path))
    except Exception as err:  # safetensors raises its own error types for truncation
        raise _safetensors_error(path, err) from None


def _check_safetensors(path: Path) -> None:
    """Check a (possibly large) safetensors file without loading it: its header and the
    sizes it states must fit the file; else an error naming ``path``."""
    from safetensors import safe_open
    try:
        with safe_open(str(path), framework='pt') as f:
            f.keys()
    except Exception as err:  # noqa: BLE001  safetensors' own error types
        raise _safetensors_error(path, err) from None


def _save_folder_atomic(save: Callable[[str], Any], folder: Path) -> None:
    """Run a Hugging Face ``save_pretrained(dir)`` into a scratch folder beside ``folder``,
    then move each file it wrote into ``folder`` through the atomic writer."""
    import shutil
    import tempfile
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f'.{folder.name}{TEMP_MARKER}'))
    try:
        save(str(scratch))
        for file in sorted(p for p in scratch.rglob('*') if p.is_file()):
            with atomic_path(folder / file.relative_to(scratch)) as tmp:
                shutil.copyfile(file, tmp)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def checkpoint_digest(save_dir: str | Path) -> str:
    """SHA-256 of a checkpoint folder's content: every file's relative path and bytes
    (the atomic writer's temporaries excluded), in path order."""
    import hashlib
    save_dir = Path(save_dir)
    digest = hashlib.sha256()
    for file in sorted(p for p in save_dir.rglob('*') if p.is_file()):
        rel = file.relative_to(save_dir)
        if any(TEMP_MARKER in part for part in rel.parts):
            continue
        digest.update(str(rel).encode() + b'\0')
        with open(file, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        digest.update(b'\0')
    return digest.hexdigest()
