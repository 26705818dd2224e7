"""Thesis fig. 2.5: two views of each photo and the SR weights (eq. 2.7) of the query view.

    python tools/pixcon/vis_sr_weights.py PHOTO.jpg [PHOTO ...] \
        --model PixCon-SR configs/pixcon/pixcon_sr_coco_800e.py work_dirs/.../epoch_800.pth \
        --out work_dirs/figures/fig2_5.png [--alpha 2] [--seed 0]

Views are drawn by OverlapTwoCrop as in training (no flip or colour changes). Row 1: the
photo with the query view (blue) and key view (yellow); row 2: the weights of the query
view's cells with the intersection box (red). The PNG is (2 x --panel) x (photos x --panel).
"""
import argparse
import sys

from mmcontrast.argtypes import finite_float
from mmcontrast.errors import exit_on_input_error
from mmpixcon.visualization import read_rgb, sr_weights_figure, two_views
from mmpixcon.visualization.cli import (add_crop_args, add_model_args, add_output_args,
                                        load_models, parse_figure_args)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('images', nargs='+', help='photos, one column each')
    add_model_args(parser, many=False)
    add_output_args(parser, default_size=224)
    parser.add_argument('--alpha', type=finite_float(0, low_open=True), default=2.0,
                        help='sharpening exponent (> 0)')
    add_crop_args(parser)
    args = parse_figure_args(parser, argv)
    (_, model), = load_models([args.model], args.device)
    examples = [two_views(read_rgb(p), args.size, tuple(args.scale), args.seed + i)
                for i, p in enumerate(args.images)]
    out = sr_weights_figure(examples, model, args.alpha, args.panel).save(args.out)
    print(f'wrote {out}')


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='vis_sr_weights'))
