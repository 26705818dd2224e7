"""The S2L tokenizer: any Hugging Face tokenizer plus three special tokens.

``<frame>`` marks where the compressed frame tokens go (one per frame), ``<loc>``
closes each segment summary in the answer, and ``<vid>`` refers to one frame in
the input (it carries that frame's embedding). The dataset and the model load the
tokenizer through :func:`load_tokenizer`, so both see the same token ids.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import S2LInputError

FRAME_TOKEN = '<frame>'
LOC_TOKEN = '<loc>'
VID_TOKEN = '<vid>'
SPECIAL_TOKENS = (FRAME_TOKEN, LOC_TOKEN, VID_TOKEN)


@dataclass(frozen=True)
class S2LTokenIds:
    """Ids of the S2L special tokens and of the tokens that end generation."""
    frame: int
    loc: int
    vid: int
    eos: tuple[int, ...]

    @property
    def new(self) -> tuple[int, int, int]:
        return (self.frame, self.loc, self.vid)


def load_tokenizer(path: str, gguf_file: str | None = None, **kwargs):
    """``AutoTokenizer.from_pretrained(path)`` with the S2L special tokens added.

    A tokenizer without a pad token uses its eos token for padding.
    """
    from transformers import AutoTokenizer
    if gguf_file is not None:
        kwargs['gguf_file'] = gguf_file
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    tokenizer.add_tokens(list(SPECIAL_TOKENS), special_tokens=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def token_ids(tokenizer) -> S2LTokenIds:
    """The special-token ids of a tokenizer prepared by :func:`load_tokenizer`."""
    ids = tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS))
    unk = tokenizer.unk_token_id
    if any(i is None or (unk is not None and i == unk) for i in ids):
        raise S2LInputError(f'tokenizer lacks the S2L tokens {SPECIAL_TOKENS}; '
                            'load it with mms2l.tokenization.load_tokenizer')
    eos = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids('<|im_end|>') if '<|im_end|>' in tokenizer.get_vocab() else None
    eos.add(im_end)
    return S2LTokenIds(*ids, eos=tuple(sorted(i for i in eos if i is not None)))


def build_prompt(tokenizer, user_text: str) -> str:
    """The prompt up to the assistant's answer: the chat template when the tokenizer
    has one, else a plain ``User: ...\\nAssistant:`` layout."""
    if getattr(tokenizer, 'chat_template', None):
        return tokenizer.apply_chat_template([{'role': 'user', 'content': user_text}],
                                             tokenize=False, add_generation_prompt=True)
    return f'User: {user_text}\nAssistant: '
