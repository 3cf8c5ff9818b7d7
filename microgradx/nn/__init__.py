"""Networks: the Module base, scalar MLPs (micrograd-style), tensor layers, losses.

>>> import microgradx as mg
>>> mg.nn.MLP(2, [16, 16, 1])  # doctest: +ELLIPSIS
MLP of [...]
"""

from .init import SCHEMES, init_weights
from .layers import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from .losses import (
    accuracy,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2,
    mse_loss,
)
from .module import Module
from .scalar import MLP, Layer, Neuron

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "init_weights", "SCHEMES",
    "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU",
    "mse_loss", "hinge_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "l2", "accuracy",
]
