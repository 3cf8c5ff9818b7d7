"""Networks: the Module base, scalar MLPs (micrograd-style), tensor layers, losses.

``mg.nn.functional`` (``import microgradx.nn.functional as F``) and
``mg.nn.init`` hold torch's functional and init names.

>>> import microgradx as mg
>>> mg.nn.MLP(2, [16, 16, 1])  # doctest: +ELLIPSIS
MLP of [...]
"""

from . import functional, init
from .init import SCHEMES, init_weights
from .layers import (
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .loss_modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, MSELoss
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
    "functional", "init", "Identity", "Flatten", "Dropout", "Softmax", "LogSoftmax",
    "MSELoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "HingeLoss",
]
