"""PixCon: pixel-level contrastive pre-training (Sim / Coord / SR) and DenseCL-style baselines."""
from __future__ import annotations

from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import CosineEMA, batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from ..necks.pixcon_neck import per_pixel
from ..utils.losses import REWEIGHTINGS, dense_info_nce, info_nce, semantic_weights
from ..utils.matching import boxes_to_mask, check_boxes, inverse_augment, similarity_match
from ..utils.queue import FeatureQueue
from ...errors import PixConInputError

MATCHINGS = ('similarity', 'coordinate')


class _Encoded(NamedTuple):
    feat: Tensor  # (B, C, H, W) backbone C5 map
    glob: Tensor  # (B, D) global projection (predicted for the online net)
    dense: Optional[Tensor] = None  # (B, D, H*W) dense projection (predicted, online)
    pooled: Optional[Tensor] = None  # (B, D) average-pooled dense projection (queue key)


@MODELS.register_module()
class PixCon(BaseSelfSupervisor):
    """Pixel-level contrastive learning with an image-level MoCo loss (eq. 2.2).

    Per direction (query view a, key view b) the loss is
    ``(1 - loss_lambda) * L_img + loss_lambda * L_pix``; with ``symmetric`` both
    directions are summed. Setting ``predictor=None, dense_predictor=None,
    symmetric=False, momentum=0.001, momentum_schedule='constant', reweighting=None,
    shuffle_bn=True`` with a ``DenseCLNeck`` reproduces mmpretrain's DenseCL.

    Args:
        backbone, neck: configs; the neck returns ``[global, dense, pooled]``
            (:class:`PixConNeck` or mmpretrain's ``DenseCLNeck``), or only
            ``(global, )`` (``NonLinearNeck``) for image-level MoCo-v2+ with
            ``loss_lambda=0``.
        predictor: NonLinearNeck-style config on the global projection, or None.
        dense_predictor: same, applied to every pixel of the dense projection, or None.
        matching: ``'similarity'`` (eq. 2.3) or ``'coordinate'`` (eq. 2.5).
        reweighting: None, ``'semantic'`` (SR, eq. 2.7), ``'spatial'`` or ``'similarity'``.
        alpha: sharpening exponent of the weights.
        symmetric: add the loss with the views swapped.
        queue_len, feat_dim: size of both negative queues.
        temperature: tau.
        loss_lambda: weight of the pixel loss.
        momentum: initial EMA update rate of the target (1 - 0.99 = 0.01).
        momentum_schedule: ``'cosine'`` (rate to 0 over training) or ``'constant'``.
        shuffle_bn: MoCo-v2 shuffling BN for the target pass.
    """

    def __init__(self, backbone: dict, neck: dict, predictor: Optional[dict] = None,
                 dense_predictor: Optional[dict] = None, matching: str = 'similarity',
                 reweighting: Optional[str] = 'semantic', alpha: float = 2.0,
                 symmetric: bool = True, queue_len: int = 65536, feat_dim: int = 128,
                 temperature: float = 0.2, loss_lambda: float = 0.5, momentum: float = 0.01,
                 momentum_schedule: str = 'cosine', shuffle_bn: bool = False,
                 pretrained: Optional[str] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if matching not in MATCHINGS:
            raise PixConInputError(f'matching must be one of {MATCHINGS}, got {matching!r}')
        if reweighting not in REWEIGHTINGS:
            raise PixConInputError(
                f'reweighting must be one of {REWEIGHTINGS}, got {reweighting!r}')
        if matching == 'coordinate' and reweighting is not None:
            raise PixConInputError(
                'coordinate matching aligns the views itself; use reweighting=None')
        super().__init__(backbone=backbone, neck=neck, pretrained=pretrained,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.predictor = MODELS.build(predictor) if predictor is not None else None
        self.dense_predictor = (MODELS.build(dense_predictor)
                                if dense_predictor is not None else None)
        self.matching = matching
        self.reweighting = reweighting
        self.alpha = alpha
        self.symmetric = symmetric
        self.temperature = temperature
        self.loss_lambda = loss_lambda
        self.shuffle_bn = shuffle_bn
        target = nn.Sequential(self.backbone, self.neck)
        if momentum_schedule == 'cosine':
            self.target_net = CosineEMA(target, momentum=momentum, end_momentum=0.0)
        elif momentum_schedule == 'constant':
            self.target_net = ExponentialMovingAverage(target, momentum=momentum)
        else:
            raise PixConInputError(f"momentum_schedule must be 'cosine' or 'constant', "
                                   f'got {momentum_schedule!r}')
        self.with_dense = loss_lambda > 0  # fixed at build time, whatever hooks do later
        self.global_queue = FeatureQueue(queue_len, feat_dim)
        self.dense_queue = FeatureQueue(queue_len, feat_dim) if self.with_dense else None

    def _encode(self, backbone: nn.Module, neck: nn.Module, img: Tensor) -> _Encoded:
        feat = backbone(img)[-1]
        out = _Encoded(feat, *neck((feat, )))
        if out.dense is None and self.with_dense:
            raise PixConInputError(
                'the neck gives no dense output: use a dense neck or loss_lambda=0')
        return out

    def _online(self, img: Tensor) -> _Encoded:
        out = self._encode(self.backbone, self.neck, img)
        if self.predictor is not None:
            out = out._replace(glob=self.predictor((out.glob, ))[0])
        if self.dense_predictor is not None and out.dense is not None:
            out = out._replace(dense=per_pixel(self.dense_predictor, out.dense))
        return out

    @torch.no_grad()
    def _target(self, img: Tensor) -> _Encoded:
        if self.shuffle_bn:
            img, unshuffle = batch_shuffle_ddp(img)
        out = self._encode(*self.target_net.module, img)
        if self.shuffle_bn:
            out = _Encoded(*(None if t is None else batch_unshuffle_ddp(t, unshuffle)
                             for t in out))
        return out

    @staticmethod
    def _geometry(data_samples: list[DataSample], device: torch.device) -> tuple[Tensor, Tensor]:
        """(B, 2, 4) intersection boxes and (B, 2) flips packed by the two-crop pipeline."""
        try:
            boxes = [torch.as_tensor(ds.pixcon_boxes) for ds in data_samples]
            flips = [torch.as_tensor(ds.pixcon_flips) for ds in data_samples]
        except AttributeError as err:
            raise KeyError('this PixCon setting needs pixcon_boxes/pixcon_flips in the data '
                           'samples: use OverlapTwoCrop + PairedRandomFlip and '
                           "PackInputs(algorithm_keys=['pixcon_boxes', 'pixcon_flips'])") from err
        boxes = torch.stack(boxes).float()  # (B, 2, 4)
        check_boxes(boxes, [str(ds.get('img_path', f'sample {i}'))
                            for i, ds in enumerate(data_samples)])
        return boxes.to(device), torch.stack(flips).bool().to(device)

    def _pixel_loss(self, q: _Encoded, k: _Encoded, qv: int, kv: int, queue: Tensor,
                    geometry: Optional[tuple[Tensor, Tensor]]) -> Tensor:
        """Dense InfoNCE of query view ``qv`` against key view ``kv`` and (K, D) ``queue``."""
        if self.matching == 'coordinate':
            boxes, flips = geometry
            size = q.feat.shape[-2:]
            # boxes were checked on the CPU by _geometry: no per-step device sync here
            u = inverse_augment(q.dense.unflatten(2, size), boxes[:, qv], flips[:, qv], size,
                                check=False)
            v = inverse_augment(k.dense.unflatten(2, size), boxes[:, kv], flips[:, kv], size,
                                check=False)
            u, v = (F.normalize(t.flatten(2), dim=1).transpose(1, 2) for t in (u, v))
            return dense_info_nce(u, v, queue, self.temperature)
        with torch.no_grad():
            index, max_sim = similarity_match(q.feat, k.feat)  # (B, N)
        u = F.normalize(q.dense, dim=1).transpose(1, 2)  # (B, N, D)
        keys = F.normalize(k.dense, dim=1).transpose(1, 2)  # (B, N, D)
        v = keys.gather(1, index[..., None].expand(-1, -1, keys.shape[2]))  # (B, N, D)
        weights = None
        if self.reweighting is not None:
            in_box = boxes_to_mask(geometry[0][:, qv], q.feat.shape[-2:]).flatten(1)
            weights = semantic_weights(max_sim, in_box, self.alpha, self.reweighting)
        return dense_info_nce(u, v, queue, self.temperature, weights)

    def loss(self, inputs: list[Tensor], data_samples: list[DataSample],
             **kwargs) -> dict[str, Tensor]:
        """inputs: two (B, 3, H, W) views; returns ``loss_img`` and ``loss_pix``."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise PixConInputError('PixCon takes exactly two views per image')
        pairs = [(0, 1), (1, 0)] if self.symmetric else [(0, 1)]
        online = {qv: self._online(inputs[qv]) for qv, _ in pairs}
        with torch.no_grad():
            self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))
            target = {kv: self._target(inputs[kv]) for _, kv in pairs}
        dense = self.with_dense
        needs_geometry = dense and (self.matching == 'coordinate' or self.reweighting is not None)
        geometry = self._geometry(data_samples, inputs[0].device) if needs_geometry else None
        # snapshots: the losses must not see (nor autograd trip over) the push below
        global_queue = self.global_queue.snapshot()
        dense_queue = self.dense_queue.snapshot() if dense else None
        loss_img = loss_pix = 0.
        for qv, kv in pairs:
            q, k = online[qv], target[kv]
            loss_img = loss_img + info_nce(F.normalize(q.glob, dim=1), F.normalize(k.glob, dim=1),
                                           global_queue, self.temperature)
            if dense:
                loss_pix = loss_pix + self._pixel_loss(q, k, qv, kv, dense_queue, geometry)
        key = target[pairs[0][1]]  # DenseCL enqueues its key view; so do both directions here
        self.global_queue.push(F.normalize(key.glob, dim=1))
        losses = dict(loss_img=(1 - self.loss_lambda) * loss_img)
        if dense:
            self.dense_queue.push(F.normalize(key.pooled, dim=1))
            losses['loss_pix'] = self.loss_lambda * loss_pix
        return losses
