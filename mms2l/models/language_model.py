"""Pieces around the Hugging Face causal LM: building it, LoRA, the new-token rows,
the frame-aware 4-D attention mask, and one explicit decoder pass."""
from __future__ import annotations

import inspect
from typing import Sequence

import torch
from torch import nn

from ..registry import MODELS


def build_llm(pretrained: str | None = None, config: dict | None = None,
              gguf_file: str | None = None, torch_dtype: str = 'float32',
              attn_implementation: str = 'sdpa') -> nn.Module:
    """Any HF causal LM: from a local directory (``pretrained``, optionally a GGUF
    file in it) or built from ``config`` kwargs (``model_type`` plus sizes)."""
    from transformers import AutoConfig, AutoModelForCausalLM
    dtype = getattr(torch, torch_dtype)
    if pretrained is not None:
        kwargs = dict(dtype=dtype, attn_implementation=attn_implementation)
        if gguf_file is not None:
            kwargs['gguf_file'] = gguf_file
        return AutoModelForCausalLM.from_pretrained(pretrained, **kwargs)
    if config is None:
        raise ValueError('build_llm needs either a pretrained path or a config')
    cfg = dict(config)
    hf_config = AutoConfig.for_model(cfg.pop('model_type'), **cfg)
    hf_config._attn_implementation = attn_implementation
    return AutoModelForCausalLM.from_config(hf_config, dtype=dtype)


def apply_lora(llm: nn.Module, r: int = 128, alpha: int = 256, dropout: float = 0.05,
               target_modules: Sequence[str] = ('q_proj', 'k_proj', 'v_proj', 'o_proj')) -> nn.Module:
    """Wrap the LLM with peft LoRA adapters (E.T.Chat's recipe by default)."""
    from peft import LoraConfig, get_peft_model
    cfg = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                     target_modules=list(target_modules), bias='none')
    return get_peft_model(llm, cfg)


def base_llm(llm: nn.Module) -> nn.Module:
    """The underlying ``*ForCausalLM`` (unwraps a peft model)."""
    return llm.get_base_model() if hasattr(llm, 'get_base_model') else llm


@MODELS.register_module()
class NewTokens(nn.Module):
    """Input and output rows for the added tokens, kept outside the base LLM.

    The base embedding and LM head stay untouched (and frozen); these rows are
    small, trainable and saved with the heads. Rows start at the mean of the
    base rows.
    """

    def __init__(self, token_ids: Sequence[int], in_embed: torch.Tensor, out_embed: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer('ids', torch.tensor(list(token_ids), dtype=torch.long), persistent=False)
        n = len(token_ids)
        self.embed = nn.Parameter(in_embed.detach().float().mean(0, keepdim=True).repeat(n, 1))
        self.head = nn.Parameter(out_embed.detach().float().mean(0, keepdim=True).repeat(n, 1))

    def embed_ids(self, ids: torch.Tensor, base_embed: nn.Module) -> torch.Tensor:
        """ids (B, L) -> embeddings (B, L, C), new tokens taken from these rows."""
        match = ids[..., None] == self.ids  # (B, L, n)
        is_new = match.any(-1, keepdim=True)
        base = base_embed(ids.masked_fill(is_new.squeeze(-1), 0))
        new = match.to(base.dtype) @ self.embed.to(base.dtype)
        return torch.where(is_new, new, base)

    def logits(self, hidden: torch.Tensor, lm_head: nn.Module) -> torch.Tensor:
        """hidden (B, L, C) -> logits (B, L, V') over the base vocabulary plus the new ids."""
        base = lm_head(hidden)
        vocab = max(base.shape[-1], int(self.ids.max()) + 1)
        if vocab > base.shape[-1]:
            fill = torch.finfo(base.dtype).min
            base = nn.functional.pad(base, (0, vocab - base.shape[-1]), value=fill)
        new = hidden @ self.head.to(hidden.dtype).T  # (B, L, n)
        return base.index_copy(-1, self.ids, new.to(base.dtype))


def build_frame_attention_mask(attention_mask: torch.Tensor, is_frame: torch.Tensor,
                               attn_implementation: str = 'sdpa',
                               dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """4-D mask: causal, frame tokens attend to each other both ways, padding hidden.

    attention_mask (B, L) 1 = real token; is_frame (B, L) frame-token positions.
    Returns (B, 1, L, L): boolean (True = may attend) for ``sdpa``; for ``eager``
    an additive mask in ``dtype`` (0 allowed, the dtype minimum elsewhere). A
    padding row may attend to itself so no row is fully masked. (Flash-attention
    kernels take no custom 4-D mask: use ``sdpa`` or ``eager``.)
    """
    length = attention_mask.shape[1]
    device = attention_mask.device
    causal = torch.ones(length, length, dtype=torch.bool, device=device).tril()
    allowed = causal[None] | (is_frame[:, :, None] & is_frame[:, None, :])
    allowed = allowed & attention_mask.bool()[:, None, :]
    allowed = (allowed | torch.eye(length, dtype=torch.bool, device=device)[None])[:, None]
    if attn_implementation != 'eager':
        return allowed
    mask = torch.zeros(allowed.shape, dtype=dtype, device=device)
    return mask.masked_fill(~allowed, torch.finfo(dtype).min)


def run_decoder(llm: nn.Module, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor | None,
                cache=None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """One pass of the LLM's decoder stack -> (last hidden (B, L, C), all hidden states).

    ``hidden_states[0]`` is the input embedding, ``[-1]`` the final (normed) output
    that feeds the LM head. ``cache`` (a transformers ``Cache``) is filled in place.
    """
    decoder = base_llm(llm).get_decoder()
    kwargs = dict(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                  output_hidden_states=True, use_cache=cache is not None)
    if cache is not None:
        params = inspect.signature(decoder.forward).parameters
        kwargs['cache' if 'cache' in params else 'past_key_values'] = cache
    out = decoder(**kwargs)
    return out.last_hidden_state, tuple(out.hidden_states)
