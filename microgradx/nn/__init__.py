"""Networks: the Module base, scalar MLPs (micrograd-style), tensor layers, losses.

>>> import microgradx as mg
>>> mg.nn.MLP(2, [16, 16, 1])  # doctest: +ELLIPSIS
MLP of [...]
"""

from .init import SCHEMES, init_weights
from .module import Module
from .scalar import MLP, Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP", "init_weights", "SCHEMES"]
