"""Side-by-side benchmarks of microgradx against micrograd, PyTorch, DeZero and plain NumPy.

Run ``python -m bench`` from the repository root (or ``make bench``); one group
with ``python -m bench scalar`` (also ``tensor``, ``optim``).
"""
