"""microgradx: a small, exact and fast automatic-differentiation engine.

>>> import microgradx as mg
>>> x = mg.Value(2.0)
>>> (x * x + x).backward(); x.grad
5.0
"""

from . import data, exercises, fast, nn, optim, plot  # noqa: F401 - fast plugs its passes into the core
from .anomaly import AnomalyError, detect_anomaly
from .autograd import (
    Step,
    backward_steps,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .explore import Explorer, explore
from .factories import (
    arange,
    eye,
    float32,
    float64,
    full,
    full_like,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .fast import use_fast_paths
from .forward import forward_tangents
from .function import Context, Function
from .functional import ModeComparison, compare_modes, hessian, hvp, jacfwd, jacobian, jacrev, jvp, vjp
from .gradcheck import (
    GradcheckError,
    GradcheckResult,
    check_model,
    gradcheck,
    gradgradcheck,
    numerical_diff,
    numerical_gradient,
)
from .random import manual_seed
from .tensor import Tensor, cat, stack
from .trace import Trace, trace
from .train import History, fit
from .value import Value, dot, sum
from .viz import GraphvizNotFoundError, draw_dot, render_graph

__version__ = "0.1.0"

__all__ = [
    "data", "nn", "optim", "plot", "fit", "History",
    "numerical_diff", "numerical_gradient", "gradcheck", "gradgradcheck", "check_model",
    "GradcheckError", "GradcheckResult", "draw_dot", "render_graph", "GraphvizNotFoundError",
    "Value", "Tensor", "cat", "stack", "dot", "sum", "grad", "no_grad", "enable_grad", "is_grad_enabled",
    "set_grad_enabled", "Function", "Context", "AnomalyError", "detect_anomaly", "backward_steps", "Step",
    "manual_seed", "use_fast_paths",
    "tensor", "zeros", "ones", "full", "randn", "rand", "arange", "eye", "zeros_like", "ones_like",
    "full_like", "rand_like", "randn_like", "where", "maximum", "minimum", "float32", "float64",
    "explore", "Explorer", "trace", "Trace",
    "jvp", "vjp", "jacfwd", "jacrev", "jacobian", "hessian", "hvp", "compare_modes", "ModeComparison",
    "forward_tangents",
    "exercises",
]
