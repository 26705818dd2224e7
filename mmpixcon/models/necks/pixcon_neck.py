"""Global + dense projection heads of PixCon, built from mmpretrain's NonLinearNeck."""
from __future__ import annotations

from typing import Optional

from mmengine.model import BaseModule
from mmpretrain.models.necks import NonLinearNeck
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ...errors import PixConInputError


def per_pixel(mlp: nn.Module, dense: Tensor) -> Tensor:
    """Apply a NonLinearNeck-style MLP to every pixel: (B, C, N) -> (B, D, N).

    Pixels are flattened into the batch, so BatchNorm1d sees the same
    statistics a 1x1-conv head with BatchNorm2d would.
    """
    b, c, n = dense.shape
    tokens = dense.transpose(1, 2).reshape(b * n, c)  # (B*N, C)
    out = mlp((tokens, ))[0]  # (B*N, D)
    return out.view(b, n, -1).transpose(1, 2)


@MODELS.register_module()
class PixConNeck(BaseModule):
    """Global head (fc-BN-ReLU-fc) and dense head (1x1 conv-BN-ReLU-1x1 conv).

    Returns the same triple as mmpretrain's ``DenseCLNeck`` so either can feed
    :class:`PixCon`: ``[global (B, D), dense (B, D, H*W), pooled dense (B, D)]``.

    Args:
        in_channels: backbone channels C.
        hid_channels: hidden width of both heads.
        out_channels: output width D.
        norm_cfg: norm layer config of the hidden BN.
        init_cfg: initialisation config.
    """

    def __init__(self, in_channels: int, hid_channels: int, out_channels: int,
                 norm_cfg: dict = dict(type='SyncBN'), init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        mlp = dict(in_channels=in_channels, hid_channels=hid_channels,
                   out_channels=out_channels, with_last_bn=False, with_last_bias=True,
                   norm_cfg=norm_cfg)
        self.global_mlp = NonLinearNeck(with_avg_pool=True, **mlp)
        self.dense_mlp = NonLinearNeck(with_avg_pool=False, **mlp)

    def forward(self, inputs: tuple[Tensor, ...]) -> list[Tensor]:
        """inputs: a 1-tuple holding the (B, C, H, W) backbone map."""
        if len(inputs) != 1:
            raise PixConInputError(f'PixConNeck takes one feature map, got {len(inputs)}')
        x = inputs[0]  # (B, C, H, W)
        glob = self.global_mlp((x, ))[0]  # (B, D)
        dense = per_pixel(self.dense_mlp, x.flatten(2))  # (B, D, HW)
        return [glob, dense, dense.mean(2)]
