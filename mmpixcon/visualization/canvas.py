"""A grid of square panels rendered to an exact-size RGB array (matplotlib Agg)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


class PanelGrid:
    """``rows`` x ``cols`` square panels of ``panel`` pixels; the image is exactly
    (rows * panel, cols * panel, 3). Panels have pixel coordinates 0..panel, y down.
    """

    def __init__(self, rows: int, cols: int, panel: int = 256) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if rows < 1 or cols < 1 or panel < 16:
            raise ValueError(f'need rows, cols >= 1 and panel >= 16, got {rows}, {cols}, {panel}')
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

    def label(self, row: int, col: int, text: str) -> None:
        """White-on-black caption at the panel's top-left corner."""
        self.axes[row][col].text(3, 3, text, color='white', fontsize=self.fontsize(),
                                 va='top', ha='left',
                                 bbox=dict(facecolor='black', alpha=0.6, pad=1, linewidth=0))

    def to_array(self) -> np.ndarray:
        """(rows * panel, cols * panel, 3) uint8 RGB."""
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def save(self, path: str | Path) -> Path:
        """Write a PNG (parent folders created) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(self.to_array()).save(path)
        return path
