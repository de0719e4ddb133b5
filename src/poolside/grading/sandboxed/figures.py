"""The kernel's matplotlib backend while grading: ``module://sandboxed.figures``.

Figures are made as with Agg, so their Axes (what the checks read) are complete, but they are
not rendered to images: at a cell's end the kernel closes them, as Jupyter's inline backend
does, and describes each in the cell's outputs by its titles and axis labels. Rendering every
figure to PNG cost about 0.8 CPU-s per notebook for pictures nothing in grading looks at (the
submitted notebook keeps the student's own).
"""

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

__all__ = ["FigureCanvas", "FigureManager", "show"]

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(*args, **kwargs) -> None:
    """Nothing to show now: the kernel lists a cell's figures when the cell ends."""
