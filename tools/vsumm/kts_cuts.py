"""How the KTS penalty weight changes the shots of the offline videos with hard cuts.

For each video (bikes, megamind, music), the hard cuts are found independently of KTS
(the grey-level difference of consecutive frames far above its median), frames are
sampled every ``--every`` frames as ``mmvsumm extract``/``summarize`` do, and KTS
runs with each ``--vmax``. A cut counts as found when a shot boundary lies within
one sampling interval of it. Prints a markdown table (docs/vsumm.md, "Shots").

    python tools/vsumm/kts_cuts.py --every 15 --vmax 1 0.5 0.2 0.1 0.05
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from mmcontrast.argtypes import finite_float, positive_int
from mmcontrast.errors import exit_on_input_error

__all__ = ['hard_cuts', 'found_cuts', 'main']


def hard_cuts(path: str | Path, min_shot: int = 1) -> np.ndarray:
    """First frame of each new shot: mean absolute grey difference to the previous
    frame above 8 x its median. Cuts next to a shot shorter than ``min_shot`` frames
    are left out.  # -> (C,)"""
    from mmvsumm.io.video import iter_frames
    grey = [f.to_ndarray(width=64, height=64, format='gray').astype(float)
            for _, _, f in iter_frames(path)]
    diff = np.array([np.abs(a - b).mean() for a, b in zip(grey[:-1], grey[1:])])
    cuts = np.flatnonzero(diff > 8 * np.median(diff)) + 1
    bounds = np.concatenate([[0], cuts, [len(grey)]])
    resolvable = (np.diff(bounds)[:-1] >= min_shot) & (np.diff(bounds)[1:] >= min_shot)
    return cuts[resolvable]


def found_cuts(cuts: np.ndarray, shots: np.ndarray, tolerance: int) -> int:
    """How many ``cuts`` have a shot start within ``tolerance`` frames."""
    starts = np.asarray(shots)[1:, 0]
    return int(sum(len(starts) and np.abs(starts - c).min() <= tolerance for c in cuts))


def main(argv: list[str] | None = None) -> int:
    from mmcontrast.assets import video_paths
    from mmvsumm.models.features import extract_features
    from mmvsumm.shots import video_shots
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos', nargs='+', default=['bikes', 'megamind', 'music'])
    parser.add_argument('--every', type=positive_int, default=15)
    parser.add_argument('--vmax', type=finite_float(0, low_open=True), nargs='+',
                        default=[1.0, 0.5, 0.2, 0.1, 0.05])
    parser.add_argument('--cache-dir', help='feature cache (default: the mmcontrast cache)')
    args = parser.parse_args(argv)
    paths = video_paths()
    print('| video | frames | hard cuts | ' +
          ' | '.join(f'vmax {v:g}: shots, cuts found' for v in args.vmax) + ' |')
    print('|---|---|---|' + '---|' * len(args.vmax))
    for name in args.videos:
        if name not in paths:
            print(f'{name}: not installed (tools/setup_env.sh)', file=sys.stderr)
            continue
        cuts = hard_cuts(paths[name], min_shot=args.every)
        feats = extract_features(paths[name], every=args.every, cache_dir=args.cache_dir,
                                 progress=False)
        cells = []
        for vmax in args.vmax:
            shots = video_shots(feats.features, feats.picks, feats.times, vmax)
            cells.append(f'{len(shots)}, {found_cuts(cuts, shots, args.every)}/{len(cuts)}')
        print(f'| {name} | {feats.n_frames} | {", ".join(map(str, cuts))} | ' +
              ' | '.join(cells) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, None, 'kts_cuts.py'))
