"""Thesis fig. 2.4: cosine-similarity maps of backbone features, one column per checkpoint.

    python tools/pixcon/vis_similarity.py --image PHOTO.jpg 0.5 0.4 [--image ...] \
        --model MoCo-v2+ configs/pixcon/mocov2plus_coco_800e.py work_dirs/.../epoch_800.pth \
        --model PixCon-SR configs/pixcon/pixcon_sr_coco_800e.py work_dirs/.../epoch_800.pth \
        --out work_dirs/figures/fig2_4.png

Each row: the photo (resized to --size) with the query point in red, then per model the
similarity of every C5 cell to the cell under the point. The PNG is
(rows x --panel) x ((1 + models) x --panel) pixels.
"""
import argparse
import sys

from mmcontrast.errors import exit_on_input_error
from mmpixcon.visualization import read_rgb, similarity_figure
from mmpixcon.visualization.cli import (add_model_args, add_output_args, load_models,
                                        parse_figure_args, query_point)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--image', nargs=3, action='append', required=True,
                        metavar=('PATH', 'X', 'Y'),
                        help='a photo and its query point as fractions of width and height')
    add_model_args(parser)
    add_output_args(parser, default_size=448)
    args = parse_figure_args(parser, argv)
    points = [query_point(parser, x, y) for _, x, y in args.image]  # before any reading
    images = [(read_rgb(path), point) for (path, _, _), point in zip(args.image, points)]
    models = load_models(args.model, args.device)
    out = similarity_figure(images, models, args.size, args.panel).save(args.out)
    print(f'wrote {out}')


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='vis_similarity'))
