"""``mms2l evaluate`` at ETBench's size, on CPU, with a seeded synthetic answer file.

Writes N answered samples over the 12 tasks (letters, free text, spans in the
official formats, captioned spans, failures), times the whole evaluation, then
scores the DVC/SLC groups again with a peer that encodes the captions per video
and threshold as the official scorer does, and prints the speed ratio and the
largest difference of ``Sim``.

    .venv/bin/python benchmarks/s2l_etbench_eval.py --samples 7289 --peer-videos 60
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from mms2l.evaluation import ETBENCH_TASKS as TASKS

OPTIONS = ['a woman cooks pasta', 'a man rides a bike', 'a dog swims in a lake',
           'children play football']
CAPTIONS = ['a man chops onions', 'he fries them in a pan', 'the woman pours water',
            'a dog jumps over the fence']


def synthetic_samples(num: int, seed: int) -> list[dict]:
    """Answered samples in the ETBench schema, tasks in turn, three sources each."""
    rng = random.Random(seed)

    def span() -> list[float]:
        a, b = sorted(round(rng.uniform(0, 60), 1) for _ in range(2))
        return [a, b]

    out = []
    for i in range(num):
        task = TASKS[i % len(TASKS)]
        s = dict(idx=i, task=task, source=f'src{i // len(TASKS) % 3}', video=f'v{i}.mp4',
                 duration=60.0, q='...')
        if task in ('rar', 'eca', 'rvq', 'gvq'):
            s.update(o=OPTIONS, p=rng.randrange(4), a=rng.choice(
                ['(B)', 'A', 'best option: (C)', 'a dog swims', 'The man rides a bike', '']))
            if task == 'gvq':
                s['tgt'] = span()
                s['a'] += ' {} - {} seconds'.format(*span())
        elif task in ('tvg', 'epm'):
            s.update(tgt=span(), a=rng.choice(['{} - {} seconds', 'from {} to {}', 'no'])
                     .format(*span()))
        elif task == 'vhd':
            s.update(tgt=[[span()], [span(), span()]], a=str(round(rng.uniform(0, 60), 1)))
        else:
            s['tgt'] = [span() for _ in range(rng.randint(1, 4))]
            if task in ('dvc', 'slc'):
                s['g'] = [rng.choice(CAPTIONS) for _ in s['tgt']]
                s['a'] = ' '.join('{} - {} seconds, {}.'.format(*span(), rng.choice(CAPTIONS))
                                  for _ in range(rng.randint(0, 4)))
            else:
                s['a'] = ', '.join('{} - {}'.format(*span()) for _ in range(rng.randint(0, 3)))
        out.append(s)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=7289)
    parser.add_argument('--peer-videos', type=int, default=60,
                        help='DVC samples scored by both caption encoders')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    from sentence_transformers.util import dot_score

    from mms2l.evaluation import (SentenceSimilarity, evaluate_etbench, load_predictions,
                                  score_group)

    class PerCallSimilarity(SentenceSimilarity):
        """Peer: encodes each video's captions per threshold (the official scorer)."""

        def mean_paired_similarity(self, refs, hyps):
            scores = dot_score(self._encoder().encode(list(refs)),
                               self._encoder().encode(list(hyps)))
            return sum(scores[i, i].item() for i in range(len(refs))) / len(refs)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'pred.json'
        path.write_text(json.dumps(synthetic_samples(args.samples, args.seed)))
        samples = load_predictions([path])
    sim = SentenceSimilarity()
    sim.similarity('warm', 'up')
    start = time.perf_counter()
    report = evaluate_etbench(samples, sim)
    total = time.perf_counter() - start
    print(f'{len(samples)} samples, all 12 tasks: {total:.1f} s (model already loaded)')
    print(json.dumps(report.results()))

    dvc = [s for s in samples if s['task'] == 'dvc'][:args.peer_videos]
    timings, sims = {}, {}
    for name, scorer in (('per call (official way)', PerCallSimilarity()),
                         ('once per group', SentenceSimilarity())):
        scorer._model = sim._encoder()
        start = time.perf_counter()
        sims[name] = score_group('dvc', dvc, scorer)['Sim']
        timings[name] = time.perf_counter() - start
    print(f'DVC Sim on {len(dvc)} samples: ' + ', '.join(
        f'{k} {sims[k]:.5f} in {timings[k]:.1f} s' for k in timings))
    (slow, fast), (sim_slow, sim_fast) = timings.values(), sims.values()
    print(f'speed ratio {slow / fast:.1f}x, |Sim difference| = {abs(sim_slow - sim_fast):.1e}')


if __name__ == '__main__':
    main()
