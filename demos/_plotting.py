"""What every demo does with matplotlib: draw off-screen, and save each picture the same way.

Not a demo itself: ``microgradx demo`` lists only names that do not start with ``_``.
matplotlib is imported on first use, so a demo module imports without it.

>>> import tempfile
>>> fig, ax = pyplot().subplots()
>>> save(fig, Path(tempfile.mkdtemp()) / "pictures" / "empty.png").name
'empty.png'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend: pictures go to files, no window opens."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path, crop: bool = True) -> Path:
    """Write ``fig`` to ``path`` at 100 dpi (making its folder), close it, return ``path``.

    ``crop`` trims the blank margin (``bbox_inches="tight"``); without it the
    picture keeps the figure's own size.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight" if crop else None)
    pyplot().close(fig)
    return path
