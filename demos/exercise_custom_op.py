"""Exercise: write your own op, and let gradcheck tell you where its backward is wrong.

softsign(x) = x / (1 + |x|) has the derivative 1 / (1 + |x|)^2. A student
who forgets the absolute value writes 1 / (1 + x)^2, which is right for
x >= 0 and wrong for every x < 0. gradcheck compares that backward with
central differences, fails, and names the input and element that is most
wrong; after the fix it passes. The picture (demos/out/exercise_custom_op.png)
shows both derivatives against the numerical one.

Run: python demos/exercise_custom_op.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.gradcheck import GradcheckResult, gradcheck, numerical_gradient
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"


class SoftsignByStudent(mg.Function):
    """softsign with the backward a student might write (the |x| is missing)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + abs(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (1 + x) ** 2          # bug: should be (1 + |x|) ** 2


class Softsign(mg.Function):
    """softsign with the right backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + abs(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (1 + abs(x)) ** 2


def check(op: type[mg.Function], x: mg.Tensor) -> GradcheckResult:
    """gradcheck of ``op`` at ``x``, over its full Jacobian; never raises on a mismatch."""
    return gradcheck(lambda t: op.apply(t), [x], raise_exception=False)


def draw(out_dir: Path, wrong: GradcheckResult | None = None) -> Path:
    """The student's and the fixed derivative against the numerical one (and gradcheck's worst element)."""
    plt = pyplot()
    xs = np.linspace(-3, 3, 241)
    numeric = numerical_gradient(lambda a: float(np.sum(a / (1 + np.abs(a)))), xs.copy())
    derivs = {}
    for op in (SoftsignByStudent, Softsign):
        t = mg.Tensor(xs, requires_grad=True)
        with np.errstate(divide="ignore"):
            op.apply(t).sum().backward()
        derivs[op.__name__] = t.grad
    fig, ax = plt.subplots(figsize=(8.5, 4))
    ax.plot(xs, numeric, color="0.6", lw=6, label="numerical (central differences)")
    ax.plot(xs, derivs["SoftsignByStudent"], "--", color="tab:red", label="student: 1/(1+x)²")
    ax.plot(xs, derivs["Softsign"], color="tab:green", label="fixed: 1/(1+|x|)²")
    ax.axvspan(-3, 0, color="tab:red", alpha=0.07, label="where gradcheck fails (x < 0)")
    ax.set(xlabel="x", ylabel="d softsign / dx", ylim=(0, 1.5), title="Backward of softsign vs numbers")
    if wrong is not None and wrong.worst is not None:
        w = wrong.worst
        ax.set_title(f"Backward of softsign vs numbers\ngradcheck: {wrong.n_failed} of {wrong.n_checked} "
                     f"elements fail; worst {w.where}: {w.analytic:.3g} vs {w.numeric:.3g}",
                     fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_dir / "exercise_custom_op.png", crop=False)


def main(n: int = 6, out_dir: Path = OUT, seed: int = 0) -> dict:
    """Check the student's op and the fixed op at ``n`` random points; print both reports."""
    x = mg.Tensor(np.random.default_rng(seed).uniform(-3, 3, n), requires_grad=True, label="x")
    print(f"x = {np.array2string(x.data, precision=3)}")
    wrong = check(SoftsignByStudent, x)
    print("\n-- the student's backward --")
    print(wrong)
    print("the elements that fail:")
    print(wrong.element_table(only_failed=True))
    print(f"gradcheck pinpoints {wrong.worst}; the failing elements are exactly those with x < 0")
    fixed = check(Softsign, x)
    print("\n-- after the fix --")
    print(fixed)
    path = draw(Path(out_dir), wrong)
    print(f"\nwrote {path}")
    return {"x": x, "wrong": wrong, "fixed": fixed, "path": path}


if __name__ == "__main__":
    main()
