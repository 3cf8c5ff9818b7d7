"""Pictures of training: loss curves, decision boundaries, optimizer paths, loss landscapes.

matplotlib is an optional extra (``pip install microgradx[plot]``) and is
imported only when a picture is drawn; without a display the Agg backend
is used. Every function returns the matplotlib Figure (plus its data where
said) and saves it to ``path`` when one is given (.png, .svg, .pdf...).

>>> import microgradx as mg
>>> fig = mg.plot.loss_curve([1.0, 0.5, 0.25])
>>> len(fig.axes[0].lines)
1
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .autograd import Node, no_grad
from .tensor import Tensor
from .value import Value

__all__ = [
    "loss_curve", "decision_boundary", "optimizer_paths", "loss_landscape",
    "filter_normalize", "random_directions", "surface", "pyplot", "save_figure",
]

MAX_GRID_POINTS = 250_000
"""decision_boundary refuses a finer grid than this (it would take minutes)."""


# ---- matplotlib, lazily ------------------------------------------------------

def pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            "microgradx.plot draws with matplotlib, which is not installed: "
            "pip install microgradx[plot]  (or: pip install matplotlib)"
        ) from err
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND") and _headless():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _headless() -> bool:
    if sys.platform.startswith(("linux", "freebsd")):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def _axes(ax: Any, figsize: tuple[float, float] = (6, 4.5)) -> tuple[Any, Any]:
    if ax is None:
        fig, ax = pyplot().subplots(figsize=figsize)
        return fig, ax
    if not hasattr(ax, "plot") or not hasattr(ax, "figure"):
        raise TypeError(f"ax must be a matplotlib Axes (or None for a new figure), got {type(ax).__name__}")
    pyplot()
    return ax.figure, ax


def _save(fig: Any, path: str | os.PathLike | None) -> None:
    if path is None:
        return
    path = Path(path)
    if not path.suffix:
        raise ValueError(f"path {str(path)!r} has no suffix; name the format, e.g. 'loss.png' or 'loss.svg'")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")


def save_figure(fig: Any, path: str | os.PathLike, crop: bool = True) -> Path:
    """Write ``fig`` to ``path`` at 100 dpi (making its folder), close it, return the path.

    ``crop`` trims the blank margin (``bbox_inches="tight"``); without it the
    picture keeps the figure's own size.

    >>> import tempfile
    >>> fig, ax = pyplot().subplots()
    >>> save_figure(fig, Path(tempfile.mkdtemp()) / "pictures" / "empty.png").name
    'empty.png'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight" if crop else None)
    pyplot().close(fig)
    return path


# ---- checking inputs ---------------------------------------------------------

def _series(name: str, values: Any) -> np.ndarray:
    """A non-empty 1-D float array, or a TypeError/ValueError naming ``name``."""
    if isinstance(values, (str, bytes)) or isinstance(values, Node):
        raise TypeError(f"{name} must be a list of numbers, got {type(values).__name__} {values!r}")
    try:
        arr = np.array([v.data if isinstance(v, Value) else v for v in values], dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list of numbers, got {values!r:.80}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a flat list of numbers, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: record at least one value before plotting it")
    return arr


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _scalar(out: Any, who: str) -> float:
    """The float of a loss that is a number, a Value or a one-element Tensor."""
    if isinstance(out, Node):
        if np.size(out.data) != 1:
            raise ValueError(f"{who} must return a scalar, got a Tensor of shape {np.shape(out.data)}")
        return float(np.asarray(out.data).reshape(()))
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return float(out)
    raise TypeError(f"{who} must return a Value, a one-element Tensor or a number, got {type(out).__name__}")


# ---- loss curves ---------------------------------------------------------------

def _curves(history: Any) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    if hasattr(history, "loss") and not isinstance(history, Mapping):
        acc = getattr(history, "accuracy", None)
        return {"loss": _series("history.loss", history.loss)}, _accuracy(acc, "history.accuracy")
    if isinstance(history, Mapping):
        if not history:
            raise ValueError("history is an empty dict; give {'loss': [...]} or {name: [losses...]}")
        if "loss" in history:
            return {"loss": _series("history['loss']", history["loss"])}, _accuracy(
                history.get("accuracy"), "history['accuracy']")
        return {str(k): _series(f"history[{k!r}]", v) for k, v in history.items()}, None
    if isinstance(history, (Sequence, np.ndarray)) and not isinstance(history, (str, bytes)):
        return {"loss": _series("history", history)}, None
    raise TypeError(
        f"history must be an object with .loss (e.g. what mg.fit returns), a dict or a list of "
        f"numbers; got {type(history).__name__}"
    )


def _accuracy(acc: Any, name: str) -> np.ndarray | None:
    """The accuracy series, or None when there is none (absent, empty, or all NaN)."""
    if acc is None or (isinstance(acc, Sequence) and len(acc) == 0):
        return None
    arr = _series(name, acc)
    return None if np.all(np.isnan(arr)) else arr


def loss_curve(history: Any, ax: Any = None, path: str | os.PathLike | None = None,
               *, logy: bool | None = None, title: str | None = None, xlabel: str | None = None) -> Any:
    """Loss against step, with accuracy on a second axis when the history has it.

    ``history``: an object with ``.loss`` (and optional ``.accuracy``) lists,
    such as what ``mg.fit`` returns; a dict ``{"loss": [...], "accuracy": [...]}``;
    a dict of named loss lists ``{"adam": [...], "sgd": [...]}`` (one line each);
    or a plain list of numbers. An accuracy that is all NaN (a regression) is
    left out. ``logy``: log-scaled loss axis (default: when the positive
    losses span more than two decades). ``xlabel``: default "epoch" for an
    object with ``.loss`` (``mg.fit`` records one entry per epoch), else "step".

    >>> fig = loss_curve({"loss": [1.0, 0.5, 0.2], "accuracy": [0.5, 0.7, 0.9]})
    >>> [len(a.lines) for a in fig.axes]
    [1, 1]
    """
    curves, acc = _curves(history)
    fig, ax = _axes(ax)
    for name, values in curves.items():
        ax.plot(np.arange(len(values)), values, label=name, linewidth=1.2)
    per_epoch = hasattr(history, "loss") and not isinstance(history, Mapping)
    ax.set_xlabel(xlabel if xlabel is not None else "epoch" if per_epoch else "step")
    ax.set_ylabel("loss")
    ax.xaxis.get_major_locator().set_params(integer=True)
    every = np.concatenate(list(curves.values()))
    finite = every[np.isfinite(every)]
    if logy is None:
        logy = bool(finite.size) and finite.min() > 0 and finite.max() / finite.min() > 100
    if logy:
        ax.set_yscale("log")
    if acc is not None:
        ax2 = ax.twinx()
        ax2.plot(np.arange(len(acc)), acc, color="tab:orange", linestyle="--", label="accuracy")
        ax2.set_ylabel("accuracy", color="tab:orange")
        ax2.set_ylim(0, 1.05)
    if len(curves) > 1:
        ax.legend()
    if title:
        ax.set_title(title)
    _save(fig, path)
    return fig


# ---- decision boundaries ---------------------------------------------------------

def _is_tensor_model(model: Any, probe: np.ndarray) -> bool:
    params = model.parameters() if callable(getattr(model, "parameters", None)) else []
    if any(isinstance(p, Tensor) for p in params):
        return True
    if any(isinstance(p, Value) for p in params):
        return False
    # No parameters to tell by (a plain function): ask it about one point.
    try:
        with no_grad():
            return isinstance(model(Tensor(probe)), Tensor)
    except (TypeError, ValueError, IndexError, AttributeError):
        return False


def _scores(model: Any, P: np.ndarray) -> np.ndarray:
    """Model scores for every row of P: shape (N,) for one output, (N, C) for C classes."""
    with no_grad():
        if _is_tensor_model(model, P[:1]):
            out = model(Tensor(P))
            if not isinstance(out, Tensor):
                raise TypeError(f"the model returned {type(out).__name__} for a Tensor input, not a Tensor")
            s = np.asarray(out.data, dtype=float)
            if s.ndim == 2 and s.shape[1] == 1:
                s = s[:, 0]
            if s.ndim not in (1, 2) or s.shape[0] != len(P):
                raise ValueError(f"the model mapped {len(P)} points to an output of shape {s.shape}; "
                                 f"it should be ({len(P)},), ({len(P)}, 1) or ({len(P)}, classes)")
            return s
        rows = []
        for p in P:
            out = model([float(p[0]), float(p[1])])
            if isinstance(out, Value):
                rows.append(out.data)
            elif isinstance(out, (list, tuple)) and out and all(isinstance(o, Value) for o in out):
                rows.append([o.data for o in out])
            else:
                raise TypeError(f"the model returned {type(out).__name__} for one point; a scalar model "
                                "must return a Value score (or a list of class scores)")
        return np.array(rows, dtype=float)


def _points(X: Any) -> np.ndarray:
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"X must be an array of 2-D points, got {type(X).__name__}") from None
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (N, 2) (points in the plane), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X holds NaN or infinite coordinates")
    return X


def decision_boundary(model: Any, X: Any, y: Any, ax: Any = None,
                      path: str | os.PathLike | None = None, h: float = 0.05) -> Any:
    """Colour the plane by the model's predicted class and scatter the data on it.

    ``model``: a scalar network (``mg.nn.MLP``: called on each point as a list,
    returns a Value) or a tensor network (called once on an (N, 2) Tensor);
    which one is told from its parameters. One output: class = score > 0
    (hinge scores or logits); several outputs: class = argmax. ``h``: the grid step.

    >>> import microgradx as mg
    >>> X, y = mg.data.make_moons(20, seed=0)
    >>> fig = decision_boundary(mg.nn.MLP(2, [4, 1], seed=0), X, y, h=0.2)
    >>> len(fig.axes[0].collections) >= 2
    True
    """
    X = _points(X)
    y = np.asarray(y).ravel()
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} points but y has {len(y)} labels; give one label per point")
    h = _positive("h", h)
    lo, hi = X.min(axis=0) - 1.0, X.max(axis=0) + 1.0
    xs, ys = np.arange(lo[0], hi[0], h), np.arange(lo[1], hi[1], h)
    if xs.size * ys.size > MAX_GRID_POINTS:
        raise ValueError(f"h={h} makes a grid of {xs.size * ys.size} points (at most {MAX_GRID_POINTS}); "
                         "use a larger h")
    xx, yy = np.meshgrid(xs, ys)
    s = _scores(model, np.c_[xx.ravel(), yy.ravel()])
    if s.ndim == 1:
        Z, n_classes = (s > 0).astype(float), 2
    else:
        Z, n_classes = s.argmax(axis=1).astype(float), s.shape[1]
    fig, ax = _axes(ax, (5.5, 4.5))
    plt = pyplot()
    classes = np.unique(y)
    n_colors = max(n_classes, len(classes))
    colors = [plt.cm.Spectral(k / max(n_colors - 1, 1)) for k in range(n_colors)]
    ax.contourf(xx, yy, Z.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                colors=colors[:n_classes], alpha=0.35)
    codes = np.searchsorted(classes, y)
    ax.scatter(X[:, 0], X[:, 1], c=[colors[k] for k in codes], s=30, edgecolors="k")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    _save(fig, path)
    return fig


# ---- optimizer paths ------------------------------------------------------------------

def _takes_two(f: Callable[..., Any]) -> bool:
    """True when f takes two numbers (x, y); False when it takes one (2,) Tensor."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                  and p.default is p.empty]
    return len(positional) == 2


def _value_at(f: Callable[..., Any], x: float, y: float, two: bool) -> float:
    with no_grad():
        out = f(Value(x), Value(y)) if two else f(Tensor(np.array([x, y])))
    return _scalar(out, "f")


def surface(f: Callable[..., Any], xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """f on a grid: ``f(Tensor([x, y]))`` (or ``f(x, y)``) at every (xx, yy) point.

    Tries one vectorised call first (f given a (2, ...) Tensor, or two grid
    Tensors) and checks it against single points; falls back to point by point.

    >>> xx, yy = np.meshgrid([0.0, 1.0], [0.0, 2.0])
    >>> surface(lambda p: p[0] ** 2 + p[1] ** 2, xx, yy).tolist()
    [[0.0, 1.0], [4.0, 5.0]]
    """
    two = _takes_two(f)
    xx, yy = np.asarray(xx, dtype=float), np.asarray(yy, dtype=float)
    Z = None
    try:  # any failure just means f is not written elementwise: go point by point
        with no_grad(), np.errstate(all="ignore"):
            out = f(Tensor(xx), Tensor(yy)) if two else f(Tensor(np.stack([xx, yy])))
        cand = np.asarray(out.data if isinstance(out, Node) else out, dtype=float)
        if cand.shape == xx.shape:
            idx = [(0,) * xx.ndim, tuple(s // 2 for s in xx.shape), tuple(s - 1 for s in xx.shape)]
            with np.errstate(all="ignore"):
                ok = all(np.isclose(cand[i], _value_at(f, xx[i], yy[i], two), rtol=1e-9, atol=1e-12,
                                    equal_nan=True) for i in idx)
            Z = cand if ok else None
    except Exception:
        Z = None
    if Z is None:
        with np.errstate(all="ignore"):
            Z = np.array([_value_at(f, a, b, two) for a, b in zip(xx.ravel(), yy.ravel())])
        Z = Z.reshape(xx.shape)
    return Z


def _follow(f: Callable[..., Any], factory: Callable[[list], Any], name: str,
            start: np.ndarray, steps: int, two: bool) -> np.ndarray:
    params: list[Node]
    if two:
        params = [Value(float(start[0]), label="x"), Value(float(start[1]), label="y")]
    else:
        params = [Tensor(start.copy(), requires_grad=True, label="xy")]
    opt = factory(params)
    if not (callable(getattr(opt, "step", None)) and callable(getattr(opt, "zero_grad", None))):
        raise TypeError(f"optimizers[{name!r}] returned {type(opt).__name__}, not an optimizer; "
                        "give a factory such as lambda ps: mg.optim.Adam(ps, lr=0.1)")
    pts = np.full((steps + 1, 2), np.nan)
    pts[0] = start
    with np.errstate(all="ignore"):
        _steps(f, opt, params, pts, two)
    return pts


def _steps(f: Callable[..., Any], opt: Any, params: list[Node], pts: np.ndarray, two: bool) -> None:
    for k in range(len(pts) - 1):
        opt.zero_grad()
        loss = f(*params) if two else f(params[0])
        if not math.isfinite(_scalar(loss, "f")):
            break
        loss.backward()
        grads = [p.grad for p in params]
        if any(g is None for g in grads) or not np.all(np.isfinite(np.asarray(grads, dtype=float))):
            break
        opt.step()
        here = np.array([params[0].data, params[1].data]) if two else np.array(params[0].data, float)
        if not np.all(np.isfinite(here)):
            break
        pts[k + 1] = here


def _levels(Z: np.ndarray, n: int = 30) -> np.ndarray | int:
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("f is NaN or infinite everywhere on the plotted region; pass other bounds")
    lo, span = finite.min(), finite.max() - finite.min()
    if span <= 0:
        return n
    if span / max(np.median(finite - lo), 1e-300) > 10:  # skewed (valleys): log-spaced levels
        return lo + np.geomspace(span * 1e-5, span, n)
    return n


def _norm(levels: np.ndarray | int) -> Any:
    """Colours spread evenly over the levels, even when they are log-spaced."""
    if isinstance(levels, int):
        return None
    from matplotlib.colors import BoundaryNorm

    return BoundaryNorm(levels, 256, extend="both")


def optimizer_paths(f: Callable[..., Any], optimizers: Mapping[str, Callable[[list], Any]],
                    start: Sequence[float], steps: int, ax: Any = None,
                    path: str | os.PathLike | None = None,
                    bounds: Sequence[float] | None = None) -> tuple[Any, dict[str, np.ndarray]]:
    """Run each optimizer from ``start`` on f and draw the paths over f's contours.

    ``f``: a function of one (2,) Tensor (``lambda p: p[0]**2 + p[1]**2``) or of
    two Values (``lambda x, y: ...``) returning a scalar. ``optimizers``: name ->
    factory(params) -> optimizer (``lambda ps: mg.optim.Adam(ps, lr=0.1)``).
    ``bounds``: (xmin, xmax, ymin, ymax), else fitted to the paths (leaving out
    points where f exceeds 100 |f(start)| + 1, where a path diverges). Returns
    (figure, {name: array of shape (steps + 1, 2)}); a path whose loss or
    gradient turns NaN/infinite stops there, the rest of its rows are NaN.

    >>> import microgradx as mg
    >>> fig, paths = optimizer_paths(lambda p: (p * p).sum(), {"sgd": lambda ps: mg.optim.SGD(ps, lr=0.25)},
    ...                              start=(2.0, -2.0), steps=2)
    >>> paths["sgd"].tolist()
    [[2.0, -2.0], [1.0, -1.0], [0.5, -0.5]]
    """
    if not callable(f):
        raise TypeError(f"f must be a function of a (2,) Tensor or of two Values, got {type(f).__name__}")
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise TypeError("optimizers must be a non-empty dict name -> factory(params) -> optimizer, "
                        f"got {optimizers!r:.80}")
    for name, factory in optimizers.items():
        if not callable(factory):
            raise TypeError(f"optimizers[{name!r}] must be a factory(params) -> optimizer, "
                            f"got {type(factory).__name__}; e.g. lambda ps: mg.optim.SGD(ps, lr=0.01)")
    start_arr = np.asarray(start, dtype=float)
    if start_arr.shape != (2,) or not np.all(np.isfinite(start_arr)):
        raise ValueError(f"start must be a finite point (x, y), got {start!r}")
    steps = _count("steps", steps, 1)
    two = _takes_two(f)
    paths = {str(name): _follow(f, factory, str(name), start_arr, steps, two)
             for name, factory in optimizers.items()}
    xmin, xmax, ymin, ymax = _bounds(paths, bounds, f)
    xx, yy = np.meshgrid(np.linspace(xmin, xmax, 160), np.linspace(ymin, ymax, 160))
    Z = surface(f, xx, yy)
    fig, ax = _axes(ax, (6.5, 5))
    levels = _levels(Z)
    ax.contour(xx, yy, np.where(np.isfinite(Z), Z, np.nan), levels=levels, cmap="viridis",
               norm=_norm(levels), linewidths=0.6, alpha=0.8)
    for name, pts in paths.items():
        ax.plot(pts[:, 0], pts[:, 1], marker=".", markersize=2.5, linewidth=1.1, label=name)
    ax.scatter([start_arr[0]], [start_arr[1]], marker="*", s=120, color="k", zorder=5)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.legend(fontsize="small", loc="best")
    _save(fig, path)
    return fig, paths


def _bounds(paths: dict[str, np.ndarray], bounds: Sequence[float] | None,
            f: Callable[..., Any] | None = None) -> tuple[float, ...]:
    if bounds is not None:
        try:
            b = tuple(float(v) for v in bounds)
        except (TypeError, ValueError):
            raise TypeError(f"bounds must be (xmin, xmax, ymin, ymax), got {bounds!r}") from None
        if len(b) != 4 or not (b[0] < b[1] and b[2] < b[3]) or not all(map(math.isfinite, b)):
            raise ValueError(f"bounds must be finite (xmin, xmax, ymin, ymax) with xmin < xmax and "
                             f"ymin < ymax, got {bounds!r}")
        return b
    pts = np.concatenate(list(paths.values()))
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if f is not None:  # points of a diverging path would stretch the picture to nothing
        loss = surface(f, pts[:, 0], pts[:, 1])
        first = loss[0]
        pts = pts[np.isfinite(loss) & (loss <= 100 * abs(first) + 1)] if math.isfinite(first) else pts
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum((hi - lo) * 0.15, 0.5)
    return lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]


# ---- loss landscapes (Li et al. 2018) ------------------------------------------------

def filter_normalize(direction: Any, weights: Any, axis: int = -1) -> np.ndarray:
    """Scale each filter of ``direction`` to the norm of the same filter of ``weights``.

    A filter is one slice along ``axis`` (for a weight of torch's layout
    (out_features, in_features), axis=0: the weights into one output neuron); a 1-D array is one
    filter as a whole. Li et al. (2018), "Visualizing the Loss Landscape of
    Neural Nets", section 4: d_i <- d_i / ||d_i|| * ||w_i||. A zero filter of
    ``direction`` stays zero.

    >>> d = np.array([[3.0, 1.0], [4.0, 0.0]])     # column norms 5 and 1
    >>> w = np.array([[0.0, 2.0], [10.0, 0.0]])    # column norms 10 and 2
    >>> filter_normalize(d, w).tolist()
    [[6.0, 2.0], [8.0, 0.0]]
    """
    d = np.asarray(direction, dtype=float)
    w = np.asarray(weights, dtype=float)
    if d.shape != w.shape:
        raise ValueError(f"direction has shape {d.shape} but weights have shape {w.shape}; they must match")
    if d.ndim <= 1:
        dn, wn = np.linalg.norm(d), np.linalg.norm(w)
    else:
        other = tuple(i for i in range(d.ndim) if i != axis % d.ndim)
        dn = np.sqrt((d * d).sum(axis=other, keepdims=True))
        wn = np.sqrt((w * w).sum(axis=other, keepdims=True))
    return d * np.divide(wn, dn, out=np.zeros(np.shape(dn)), where=dn > 0)


def _blocks(model: Any) -> tuple[list[Node], list[tuple[str, list[int]]]]:
    """The parameters and their filter groups: ("filter", indices), ("tensor", [i]) or ("bias", indices)."""
    from .nn.scalar import Neuron

    if not callable(getattr(model, "parameters", None)):
        raise TypeError(f"model must be a module with .parameters() (mg.nn.MLP or a tensor network), "
                        f"got {type(model).__name__}")
    params = list(model.parameters())
    if not params:
        raise ValueError("the model has no parameters: there is no landscape to draw")
    where = {id(p): i for i, p in enumerate(params)}
    groups: list[tuple[str, list[int]]] = []
    grouped: set[int] = set()
    modules = model.modules() if callable(getattr(model, "modules", None)) else []
    for m in modules:
        if isinstance(m, Neuron):
            w = [where[id(v)] for v in m.w if id(v) in where]
            groups.append(("filter", w))
            b = [where[id(m.b)]] if id(m.b) in where else []
            groups.append(("bias", b))
            grouped.update(w + b)
    loose = [i for i, p in enumerate(params) if isinstance(p, Value) and i not in grouped]
    if loose:
        groups.append(("filter", loose))
    for i, p in enumerate(params):
        if isinstance(p, Tensor):
            groups.append(("tensor" if p.ndim >= 2 else "bias", [i]))
    return params, groups


def random_directions(model: Any, n: int = 2, seed: int | np.random.Generator | None = 0,
                      ) -> list[list[np.ndarray]]:
    """``n`` random filter-normalised directions in the model's parameter space.

    Each direction is a list with one array per ``model.parameters()`` entry
    (a 0-d array for a Value, the Tensor's shape for a Tensor), drawn from
    N(0, 1) and then normalised filter by filter (:func:`filter_normalize`): a
    scalar neuron's weights form one filter, a weight matrix's rows are
    filters (one per output unit, torch's (out, in) layout). Biases get a zero direction, as in Li et
    al.'s code (ignore="biasbn").

    >>> import microgradx as mg
    >>> net = mg.nn.MLP(2, [3, 1], seed=0)
    >>> d, = random_directions(net, n=1)
    >>> len(d) == len(net.parameters())
    True
    """
    n = _count("n", n, 1)
    params, groups = _blocks(model)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = []
    for _ in range(n):
        d: list[np.ndarray] = [np.zeros(np.shape(p.data)) for p in params]
        for kind, idx in groups:
            if kind == "bias" or not idx:
                continue
            if kind == "tensor":
                (i,) = idx
                w = np.asarray(params[i].data, dtype=float)
                d[i] = filter_normalize(rng.standard_normal(w.shape), w, axis=0)
            else:
                w = np.array([params[i].data for i in idx], dtype=float)
                for i, v in zip(idx, filter_normalize(rng.standard_normal(w.shape), w)):
                    d[i] = np.array(v)
        out.append(d)
    return out


def _set(params: list[Node], base: list[np.ndarray], d1: list[np.ndarray], d2: list[np.ndarray],
         a: float, b: float) -> None:
    for p, w, u, v in zip(params, base, d1, d2):
        new = w + a * u + b * v
        if isinstance(p, Value):
            p.data = float(new)
        else:
            p.data = new.astype(p.data.dtype, copy=False)


def loss_landscape(model: Any, loss_fn: Callable[[Any, Any, Any], Any], X: Any, y: Any,
                   steps: int = 21, span: float = 1.0, path: str | os.PathLike | None = None,
                   seed: int = 0) -> tuple[Any, np.ndarray]:
    """The loss on a 2-D slice of parameter space around the model's weights.

    L(a, b) = loss_fn(model at theta + a d1 + b d2, X, y) for a, b in
    ``np.linspace(-span, span, steps)``, with d1, d2 two random
    filter-normalised directions (:func:`random_directions`; Li et al. 2018).
    The model's weights are restored afterwards. Returns (figure with a
    contour and a surface plot, losses of shape (steps, steps) where
    ``losses[i, j]`` is at b = coords[i], a = coords[j]). An odd ``steps``
    puts the model's own weights at the centre.

    >>> import microgradx as mg
    >>> X, y = mg.data.make_moons(20, seed=0)
    >>> net = mg.nn.MLP(2, [4, 1], seed=0)
    >>> mean_square = lambda m, X, y: mg.sum([m(list(x)) ** 2 for x in X]) / len(X)
    >>> fig, L = loss_landscape(net, mean_square, X, y, steps=3)
    >>> L.shape
    (3, 3)
    """
    if not callable(loss_fn):
        raise TypeError("loss_fn must be a function loss_fn(model, X, y) -> loss, "
                        f"got {type(loss_fn).__name__}")
    steps = _count("steps", steps, 2)
    span = _positive("span", span)
    params, _ = _blocks(model)
    d1, d2 = random_directions(model, 2, seed)
    base = [np.array(p.data, dtype=float) for p in params]
    coords = np.linspace(-span, span, steps)
    L = np.empty((steps, steps))
    try:
        with no_grad(), np.errstate(all="ignore"):
            for i, b in enumerate(coords):
                for j, a in enumerate(coords):
                    _set(params, base, d1, d2, a, b)
                    L[i, j] = _scalar(loss_fn(model, X, y), "loss_fn")
    finally:
        _set(params, base, d1, d2, 0.0, 0.0)
    A, B = np.meshgrid(coords, coords)
    plt = pyplot()
    fig = plt.figure(figsize=(11, 4.5))
    ax = fig.add_subplot(1, 2, 1)
    shown = np.where(np.isfinite(L), L, np.nan)
    levels = _levels(L, 20)
    cs = ax.contourf(A, B, shown, levels=levels, cmap="viridis", norm=_norm(levels))
    ax.contour(A, B, shown, levels=levels, colors="k", linewidths=0.4, alpha=0.5)
    fig.colorbar(cs, ax=ax, label="loss", format="%.3g")
    ax.scatter([0.0], [0.0], marker="*", s=120, color="r", zorder=5)
    ax.set_xlabel("direction 1 (filter-normalised)")
    ax.set_ylabel("direction 2 (filter-normalised)")
    ax.set_title("loss contours")
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    ax3.plot_surface(A, B, shown, cmap="viridis", linewidth=0, antialiased=True)
    ax3.set_xlabel("direction 1")
    ax3.set_ylabel("direction 2")
    ax3.set_zlabel("loss")
    ax3.set_title("loss surface")
    fig.tight_layout()
    _save(fig, path)
    return fig, L
