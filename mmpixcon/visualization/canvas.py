"""A grid of square panels rendered to an exact-size RGB array (matplotlib Agg)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from mmcontrast.fileio import atomic_path
from PIL import Image

from ..errors import PixConInputError


class PanelGrid:
    """``rows`` x ``cols`` square panels of ``panel`` pixels; the image is exactly
    (rows * panel, cols * panel, 3). Panels have pixel coordinates 0..panel, y down.
    """

    def __init__(self, rows: int, cols: int, panel: int = 256) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if rows < 1 or cols < 1 or panel < 16:
            raise PixConInputError(
                f'need rows, cols >= 1 and panel >= 16, got {rows}, {cols}, {panel}')
        self.rows, self.cols, self.panel = rows, cols, panel
        # 1 inch per panel at dpi = panel: the pixel size is exact, no rounding
        self.figure = Figure(figsize=(cols, rows), dpi=panel)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = [[self._axes(r, c) for c in range(cols)] for r in range(rows)]

    def _axes(self, row: int, col: int):
        ax = self.figure.add_axes((col / self.cols, 1 - (row + 1) / self.rows,
                                   1 / self.cols, 1 / self.rows))
        ax.set_xlim(0, self.panel)
        ax.set_ylim(self.panel, 0)
        ax.set_axis_off()
        return ax

    def fontsize(self, pixels: float = 11) -> float:
        """Points for text ``pixels`` tall at this grid's dpi."""
        return pixels * 72 / self.panel

    def image(self, row: int, col: int, rgb: np.ndarray, heat: np.ndarray | None = None,
              alpha: float = 0.5, cmap: str = 'jet', vmin: float | None = None,
              vmax: float | None = None, smooth: bool = True) -> None:
        """Show ``rgb`` stretched over the panel, optionally a (h, w) ``heat`` map on top."""
        ax = self.axes[row][col]
        extent = (0, self.panel, self.panel, 0)
        ax.imshow(rgb, extent=extent, interpolation='bilinear')
        if heat is not None:
            ax.imshow(heat, extent=extent, alpha=alpha, cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation='bilinear' if smooth else 'nearest')

    def box(self, row: int, col: int, box, colour: str, width: float = 2.0) -> None:
        """Rectangle (x1, y1, x2, y2) given in [0, 1] panel fractions."""
        from matplotlib.patches import Rectangle
        x1, y1, x2, y2 = (float(v) * self.panel for v in box)
        self.axes[row][col].add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                                                edgecolor=colour, linewidth=width * 72 / self.panel))

    def label(self, row: int, col: int, text: str):
        """White-on-black caption at the panel's top-left corner; returns the Text."""
        return self.axes[row][col].text(3, 3, text, color='white', fontsize=self.fontsize(),
                                        va='top', ha='left',
                                        bbox=dict(facecolor='black', alpha=0.6, pad=1,
                                                  linewidth=0))

    def extent(self, artist, pad: float = 1.0):
        """Display-pixel box of a Text grown by ``pad`` pixels, plus the 1-point margin
        of its background box when it has one (:meth:`label`); the patch itself is only
        placed at draw time, so its own extent is not used."""
        box = artist.get_window_extent(self.canvas.get_renderer())
        margin = self.panel / 72 if artist.get_bbox_patch() is not None else 0.0
        return box.padded(pad + margin)

    def free_text(self, row: int, col: int, x: float, y: float, text: str, taken: list,
                  **style):
        """Put ``text`` beside panel pixel (x, y) where it overlaps none of the display
        boxes in ``taken`` (see :meth:`extent`) and stays inside the panel: right, left,
        above, below the point, else the nearest free spot of a grid over the panel.
        Appends its box to ``taken`` and returns the Text.

        Raises:
            PixConInputError: no free spot (too many labels for the panel size).
        """
        ax = self.axes[row][col]
        inside = ax.get_window_extent(self.canvas.get_renderer())
        step = max(4, self.panel // 32)
        near = [(x + 4, y, 'left'), (x - 4, y, 'right'), (x, y - 8, 'center'),
                (x, y + 8, 'center')]
        grid = sorted(((gx, gy, 'left') for gy in range(step, self.panel, step)
                       for gx in range(2, self.panel, step)),
                      key=lambda c: (c[0] - x) ** 2 + (c[1] - y) ** 2)
        artist = ax.text(x, y, text, va='center', **style)
        for tx, ty, ha in near + grid:
            artist.set_position((tx, ty))
            artist.set_ha(ha)
            box = self.extent(artist)
            if (inside.containsx(box.x0) and inside.containsx(box.x1)
                    and inside.containsy(box.y0) and inside.containsy(box.y1)
                    and not any(box.overlaps(other) for other in taken)):
                taken.append(box)
                return artist
        artist.remove()
        raise PixConInputError(f'no room for the label {text!r} in panel ({row}, {col}): '
                               'use a larger --panel or fewer labels')

    def to_array(self) -> np.ndarray:
        """(rows * panel, cols * panel, 3) uint8 RGB."""
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def save(self, path: str | Path) -> Path:
        """Write a PNG through the project's atomic writer (parent folders created) and
        return its path."""
        path = Path(path)
        with atomic_path(path) as tmp:
            Image.fromarray(self.to_array()).save(tmp, format='PNG')
        return path
