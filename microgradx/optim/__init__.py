"""Optimizers, learning-rate schedules and gradient clipping.

Each optimizer's options, defaults and update rule equal ``torch.optim``'s
where PyTorch has it (param groups, ``maximize``, torch's ``state_dict``
layout), and works on Value and Tensor parameters alike.

>>> import microgradx as mg
>>> w = mg.Value(2.0)
>>> opt = mg.optim.get("sgd", [w], lr=0.25)
>>> (w * w).backward(); opt.step(); w.data
1.0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..autograd import Node
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW, AMSGrad
from .clip import clip_grad_norm
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD
from .swats import SWATS

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "AMSGrad", "RAdam", "SWATS",
    "get", "clip_grad_norm", "lr_scheduler", "OPTIMIZERS",
]

# name -> (class, defaults that differ from the class's own)
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {"lr": 0.01}),
    "momentum": (SGD, {"lr": 0.01, "momentum": 0.9}),
    "nesterov": (SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
    "amsgrad": (AMSGrad, {}),
    "radam": (RAdam, {}),
    "swats": (SWATS, {}),
}


def get(name: str, params: Iterable[Node] | Iterable[dict[str, Any]], **overrides: Any) -> Optimizer:
    """An optimizer by name (Keras style), with its defaults unless overridden.

    ``params``: parameters, or param groups as the optimizer classes take them.

    Names: sgd, momentum (SGD, momentum 0.9), nesterov (SGD, Nesterov momentum
    0.9), adagrad, rmsprop, adam, adamw, amsgrad, radam, swats. The three SGD
    names default to lr=0.01; the others use their class's defaults.

    >>> import microgradx as mg
    >>> opt = get("nesterov", [mg.Value(0.0)])
    >>> type(opt).__name__, opt.hyperparams["momentum"], opt.lr
    ('SGD', 0.9, 0.01)
    """
    if isinstance(name, Optimizer):
        raise TypeError("get() takes an optimizer's name; you already have an optimizer")
    key = name.lower().strip() if isinstance(name, str) else None
    if key not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; known names: {', '.join(OPTIMIZERS)}"
        )
    cls, defaults = OPTIMIZERS[key]
    try:
        return cls(params, **{**defaults, **overrides})
    except TypeError as err:
        if "unexpected keyword" not in str(err):
            raise
        raise TypeError(f"optimizer {key!r} ({cls.__name__}): {err}") from None
