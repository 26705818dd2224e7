"""Sentence similarity of ETBench: all-MiniLM-L6-v2 embeddings, dot product (the
model normalises its embeddings, so this is the cosine), loaded once and only
when first needed (DVC/SLC captions, the multiple-choice fallback)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

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

    def mean_paired_similarity(self, refs: Sequence[str], hyps: Sequence[str]) -> float:
        """Mean over i of the similarity of ``refs[i]`` and ``hyps[i]``, each list
        encoded as one batch (as the official SentSim scorer does)."""
        if len(refs) != len(hyps) or not refs:
            raise ValueError(f'need equally many (> 0) references and hypotheses, got '
                             f'{len(refs)} and {len(hyps)}')
        from sentence_transformers.util import dot_score
        scores = dot_score(self._encoder().encode(list(refs)),
                           self._encoder().encode(list(hyps))).cpu()
        return sum(scores[i, i].item() for i in range(len(refs))) / len(refs)
