"""microgradx: a small, exact and fast automatic-differentiation engine.

>>> import microgradx as mg
>>> x = mg.Value(2.0)
>>> (x * x + x).backward(); x.grad
5.0
"""

from .autograd import enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from .value import Value, dot, sum

__version__ = "0.1.0"

__all__ = [
    "Value", "dot", "sum", "grad", "no_grad", "enable_grad", "is_grad_enabled",
    "set_grad_enabled",
]
