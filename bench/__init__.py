"""Side-by-side benchmarks of microgradx against micrograd, PyTorch, DeZero and plain NumPy.

Run ``python -m bench`` from the repository root (or ``make bench``); one group
with ``python -m bench scalar`` (also ``tensor``, ``optim``).
"""

import os

# BLAS on one thread for every engine (NumPy's OpenBLAS, PyTorch's OpenMP), set before any of them
# is imported: the ratios then measure each engine's own overhead, not two BLAS threads on 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
