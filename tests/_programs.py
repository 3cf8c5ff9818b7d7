"""Random programs over every op, run by microgradx and by torch alike (forward-mode and transform tests).

A program is a list of instructions ``(op, i, j, k)``: apply ``op`` to the
registers ``i, j, k`` (taken modulo the number of registers) and append the
result. The registers start as the inputs. Inputs go through guards where an
op is not smooth everywhere (log and sqrt of ``softplus(a) + 0.2``, division
by ``softplus(b) + 0.3``, exp of ``tanh(a)``), so every program is smooth
around random points and finite differences agree too.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import microgradx as mg
from microgradx.tensor import linear

UNARY = [
    "neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "sin", "cos", "softplus",
]
BINARY = ["add", "sub", "mul", "div", "pow", "powc"]
VALUE_OPS = UNARY + BINARY + ["nsum", "dot", "dot_relu", "cube"]
TENSOR_OPS = UNARY + BINARY + [
    "bcast_add", "bcast_mul", "bcast_div", "matmul", "matmul2", "sum", "mean", "max", "reshape_t",
    "softmax", "log_softmax", "getitem", "cat", "stack", "linear_relu",
]
C = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.5]])
BIAS = np.array([0.3, -0.1, 0.2])


class Cube(mg.Function):
    """x**3 with a hand-written backward: a user-defined node inside the programs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return 3 * x ** 2 * grad


class MG:
    """The ops on microgradx Values or Tensors."""

    neg = staticmethod(lambda a: -a)
    abs = staticmethod(lambda a: abs(a))
    exp = staticmethod(lambda a: a.tanh().exp())
    log = staticmethod(lambda a: (a.softplus() + 0.2).log())
    sqrt = staticmethod(lambda a: (a.softplus() + 0.2).sqrt())
    tanh = staticmethod(lambda a: a.tanh())
    sigmoid = staticmethod(lambda a: a.sigmoid())
    relu = staticmethod(lambda a: a.relu())
    leaky_relu = staticmethod(lambda a: a.leaky_relu(0.1))
    sin = staticmethod(lambda a: a.sin())
    cos = staticmethod(lambda a: a.cos())
    softplus = staticmethod(lambda a: a.softplus())
    add = staticmethod(lambda a, b: a + b)
    sub = staticmethod(lambda a, b: a - b)
    mul = staticmethod(lambda a, b: a * b)
    div = staticmethod(lambda a, b: a / (b.softplus() + 0.3))
    pow = staticmethod(lambda a, b: (a.softplus() + 0.3) ** b.tanh())
    powc = staticmethod(lambda a, b: a ** 2 - 0.5 * a ** 3)
    # Values only
    nsum = staticmethod(lambda a, b, c: mg.sum([a, b, c]))
    dot = staticmethod(lambda a, b, c: mg.dot([a, b], [b, c], bias=a))
    dot_relu = staticmethod(lambda a, b, c: mg.dot([a, b], [c, a], activation="relu"))
    cube = staticmethod(lambda a: Cube.apply(a * 0.5))
    # Tensors only
    bcast_add = staticmethod(lambda a, b: a + b.mean(axis=0))
    bcast_mul = staticmethod(lambda a, b: a * b.sum(axis=0))
    bcast_div = staticmethod(lambda a, b: a / (b.softplus().sum(axis=1, keepdims=True) + 0.3))
    matmul = staticmethod(lambda a: a @ mg.Tensor(C))
    matmul2 = staticmethod(lambda a, b: (a @ b.T) @ a * 0.2)
    sum = staticmethod(lambda a, b: a.sum(axis=1, keepdims=True) + b)
    mean = staticmethod(lambda a, b: a - a.mean(axis=0, keepdims=True) * b)
    max = staticmethod(lambda a, b: a.max(axis=1, keepdims=True) * b)
    reshape_t = staticmethod(lambda a: a.reshape(3, 2).T)
    softmax = staticmethod(lambda a: a.softmax(axis=1))
    log_softmax = staticmethod(lambda a: a.log_softmax(axis=0))
    getitem = staticmethod(lambda a, b: a[[1, 0]] * b)
    cat = staticmethod(lambda a, b: mg.cat([a[:, :1], b[:, 1:]], axis=1))
    stack = staticmethod(lambda a, b: mg.stack([a, b]).sum(axis=0))
    linear_relu = staticmethod(lambda a: linear(a, mg.Tensor(C.T.copy()), mg.Tensor(BIAS), activation="relu"))


def torch_ops():
    """The same ops on torch tensors (0-d ones stand for Values)."""
    import torch
    import torch.nn.functional as F

    class T:
        neg = staticmethod(lambda a: -a)
        abs = staticmethod(lambda a: a.abs())
        exp = staticmethod(lambda a: a.tanh().exp())
        log = staticmethod(lambda a: (F.softplus(a) + 0.2).log())
        sqrt = staticmethod(lambda a: (F.softplus(a) + 0.2).sqrt())
        tanh = staticmethod(lambda a: a.tanh())
        sigmoid = staticmethod(lambda a: a.sigmoid())
        relu = staticmethod(lambda a: a.relu())
        leaky_relu = staticmethod(lambda a: F.leaky_relu(a, 0.1))
        sin = staticmethod(lambda a: a.sin())
        cos = staticmethod(lambda a: a.cos())
        softplus = staticmethod(lambda a: F.softplus(a))
        add = staticmethod(lambda a, b: a + b)
        sub = staticmethod(lambda a, b: a - b)
        mul = staticmethod(lambda a, b: a * b)
        div = staticmethod(lambda a, b: a / (F.softplus(b) + 0.3))
        pow = staticmethod(lambda a, b: (F.softplus(a) + 0.3) ** b.tanh())
        powc = staticmethod(lambda a, b: a ** 2 - 0.5 * a ** 3)
        nsum = staticmethod(lambda a, b, c: torch.stack([a, b, c]).sum())
        dot = staticmethod(lambda a, b, c: a * b + b * c + a)
        dot_relu = staticmethod(lambda a, b, c: (a * c + b * a).relu())
        cube = staticmethod(lambda a: (a * 0.5) ** 3)
        bcast_add = staticmethod(lambda a, b: a + b.mean(dim=0))
        bcast_mul = staticmethod(lambda a, b: a * b.sum(dim=0))
        bcast_div = staticmethod(lambda a, b: a / (F.softplus(b).sum(dim=1, keepdim=True) + 0.3))
        matmul = staticmethod(lambda a: a @ torch.tensor(C))
        matmul2 = staticmethod(lambda a, b: (a @ b.T) @ a * 0.2)
        sum = staticmethod(lambda a, b: a.sum(dim=1, keepdim=True) + b)
        mean = staticmethod(lambda a, b: a - a.mean(dim=0, keepdim=True) * b)
        max = staticmethod(lambda a, b: a.amax(dim=1, keepdim=True) * b)
        reshape_t = staticmethod(lambda a: a.reshape(3, 2).T)
        softmax = staticmethod(lambda a: a.softmax(dim=1))
        log_softmax = staticmethod(lambda a: a.log_softmax(dim=0))
        getitem = staticmethod(lambda a, b: a[[1, 0]] * b)
        cat = staticmethod(lambda a, b: torch.cat([a[:, :1], b[:, 1:]], dim=1))
        stack = staticmethod(lambda a, b: torch.stack([a, b]).sum(dim=0))
        linear_relu = staticmethod(lambda a: (a @ torch.tensor(C) + torch.tensor(BIAS)).relu())

    return T


ARITY = {name: 1 for name in UNARY + ["cube", "matmul", "reshape_t", "softmax", "log_softmax", "linear_relu"]}
ARITY.update({name: 3 for name in ("nsum", "dot", "dot_relu")})


def run(program: list, registers: list, lib: type) -> list:
    """Run ``program`` on the starting registers with the ops of ``lib``; returns every register."""
    regs = list(registers)
    for op, i, j, k in program:
        picks = [regs[i % len(regs)], regs[j % len(regs)], regs[k % len(regs)]][:ARITY.get(op, 2)]
        regs.append(getattr(lib, op)(*picks))
    return regs


def programs(ops: list, max_size: int = 5) -> st.SearchStrategy:
    """Instruction lists over ``ops``, at least one instruction each."""
    idx = st.integers(0, 40)
    return st.lists(st.tuples(st.sampled_from(ops), idx, idx, idx), min_size=1, max_size=max_size)


def points(shape: tuple) -> st.SearchStrategy:
    """Float64 arrays of ``shape``, entries in [-1.5, 1.5] and away from relu's and abs's kink at 0."""
    n = int(np.prod(shape))
    entry = st.floats(0.05, 1.5).flatmap(lambda m: st.sampled_from([m, -m]))
    return st.lists(entry, min_size=n, max_size=n).map(lambda xs: np.array(xs).reshape(shape))
