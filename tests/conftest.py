"""Fixtures shared by every package's tests."""
import copy
import socket
from pathlib import Path

import pytest

import mmcontrast  # noqa: F401  upstream fixes first, before any test imports mmpretrain

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='session')
def coco_mini(tmp_path_factory) -> Path:
    """A COCO-style folder (train2017/ + annotations/) of 16 real photos."""
    from mmcontrast.assets import coco_image_folder
    return coco_image_folder(tmp_path_factory.mktemp('coco_mini'), num=16)


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Each test leaves mmengine's default registry scope as it found it, so a test
    that sets 'mmseg' (say) cannot change which registry the next test builds from."""
    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved
