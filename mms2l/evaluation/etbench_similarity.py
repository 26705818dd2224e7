"""Sentence similarity of ETBench: all-MiniLM-L6-v2 embeddings, dot product (the
model normalises its embeddings, so this is the cosine), loaded once and only
when first needed (DVC/SLC captions, the multiple-choice fallback)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ['SentenceSimilarity', 'ptb_tokenize', 'remove_nonascii']

# Tokens that pycocoevalcap's PTBTokenizer drops after Stanford's tokenizer (which
# writes brackets as -LRB- etc. and double quotes as `` or '': dropped as well).
_PUNCTUATION = {"''", "'", '``', '`', '.', '?', '!', ',', ':', '-', '--', '...', ';',
                '(', ')', '[', ']', '{', '}', '"'}
_CLITIC = re.compile(r"(?i)(n't|'s|'re|'ve|'ll|'d|'m)$")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:[-'’]\w+)*|\.\.\.|--|\S")


def remove_nonascii(text: str) -> str:
    """Each non-ASCII character replaced by a space, as the official DVC scorer does."""
    return ''.join(ch if ord(ch) < 128 else ' ' for ch in text)


def ptb_tokenize(text: str) -> str:
    """Lower-cased, tokenised caption without punctuation tokens, approximating what
    pycocoevalcap's ``PTBTokenizer`` (Stanford CoreNLP, Java) hands to the official
    SentSim scorer: words and numbers kept whole (hyphenated words too),
    clitics split off ("don't" -> "do n't"), punctuation dropped, tokens joined by
    single spaces."""
    tokens: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        clitic = _CLITIC.search(token)
        if clitic and clitic.start() > 0 and "'" not in token[:clitic.start()]:
            tokens += [token[:clitic.start()], clitic.group(1)]
        elif token not in _PUNCTUATION:
            tokens.append(token)
    return ' '.join(tokens)


class SentenceSimilarity:
    """all-MiniLM-L6-v2 sentence similarity, loaded lazily, offline.

    Args:
        model_path: a local sentence-transformers directory; default: the offline
            copy of all-MiniLM-L6-v2 (:func:`mmcontrast.assets.minilm_dir`).
        device: where the model runs ('cpu', 'cuda', ...).
    """

    def __init__(self, model_path: str | Path | None = None, device: str = 'cpu') -> None:
        self.model_path = model_path
        self.device = device
        self._model = None
        self._cache: dict[str, object] = {}
        self._batched: dict[str, np.ndarray] = {}

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (it is, on the first similarity asked)."""
        return self._model is not None

    def _encoder(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            path = self.model_path
            if path is None:
                from mmcontrast.assets import minilm_dir
                path = minilm_dir()
            self._model = SentenceTransformer(str(path), device=self.device)
        return self._model

    def _embed_one(self, text: str):
        """(1, 384) embedding of one text, encoded alone as the official script does."""
        if text not in self._cache:
            self._cache[text] = self._encoder().encode([text])
        return self._cache[text]

    def similarity(self, a: str, b: str) -> float:
        """Dot product of the embeddings of ``a`` and ``b``, each encoded alone."""
        from sentence_transformers.util import dot_score
        return float(dot_score(self._embed_one(a), self._embed_one(b))[0, 0].cpu())

    def nearest(self, query: str, candidates: Sequence[str]) -> int:
        """Index of the candidate most similar to ``query`` (the first on ties)."""
        if not candidates:
            raise ValueError('no candidates to compare with')
        scores = [self.similarity(query, cand) for cand in candidates]
        return max(range(len(scores)), key=lambda i: (scores[i], -i))

    def embed_batched(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """(384,) embeddings of ``texts``; each distinct text is encoded once, in
        batches with the other new ones, and kept for later calls (so calling this
        first with every text a scorer will need makes one model call)."""
        new = list(dict.fromkeys(t for t in texts if t not in self._batched))
        if new:
            for text, emb in zip(new, self._encoder().encode(new, batch_size=64)):
                self._batched[text] = emb
        return {t: self._batched[t] for t in texts}

    def mean_paired_similarity(self, refs: Sequence[str], hyps: Sequence[str]) -> float:
        """Mean over i of the dot product of the embeddings of ``refs[i]`` and
        ``hyps[i]`` (float32 dot products, their mean in float64). The official
        scorer encodes the captions again for every video and threshold; here
        each distinct caption is encoded once (the embeddings differ by batch
        padding only, at the 1e-7 level)."""
        if len(refs) != len(hyps) or not refs:
            raise ValueError(f'need equally many (> 0) references and hypotheses, got '
                             f'{len(refs)} and {len(hyps)}')
        emb = self.embed_batched([*refs, *hyps])
        pairs = (np.stack([emb[t] for t in refs]) * np.stack([emb[t] for t in hyps])).sum(axis=1)
        return float(pairs.astype(np.float64).sum()) / len(refs)
