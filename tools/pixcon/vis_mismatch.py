"""Thesis fig. 2.6: in-box query cells and their similarity matches, one row per checkpoint.

    python tools/pixcon/vis_mismatch.py PHOTO.jpg \
        --model 'epoch 100' configs/pixcon/pixcon_sr_coco_800e.py work_dirs/.../epoch_100.pth \
        --model 'epoch 800' configs/pixcon/pixcon_sr_coco_800e.py work_dirs/.../epoch_800.pth \
        --out work_dirs/figures/fig2_6.png [--size 1024] [--top 5] [--seed 0]

The same two views (OverlapTwoCrop, resized to --size as the thesis does with 1024) for
every checkpoint. Left: the query view with the --top in-box cells whose best match has
the lowest backbone similarity ("qk sim." printed); right: the key view with the matched
cells; red crosses are matches outside the key view's intersection box (red), and the
caption (and the printout) counts all such in-box cells. The PNG is
(models x --panel) x (2 x --panel).
"""
import argparse
import sys

from mmcontrast.errors import exit_on_input_error
from mmpixcon.visualization import mismatch_figure, read_rgb, two_views
from mmpixcon.visualization.cli import (add_crop_args, add_model_args, add_output_args,
                                        load_models, parse_figure_args)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image', help='the photo')
    add_model_args(parser)
    add_output_args(parser, default_size=1024)
    parser.add_argument('--top', type=int, default=5,
                        help='in-box cells of lowest match similarity to draw')
    add_crop_args(parser)
    args = parse_figure_args(parser, argv)
    models = load_models(args.model, args.device)
    views = two_views(read_rgb(args.image), args.size, tuple(args.scale), args.seed)
    grid, counts = mismatch_figure(views, models, args.top, args.panel)
    for name, (outside, total) in counts.items():
        print(f'{name}: {outside} of {total} in-box query cells match a key cell outside the box')
    print(f'wrote {grid.save(args.out)}')


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='vis_mismatch'))
