"""The deepest chain one engine can backpropagate, run in its own process.

``python -m bench.deep ENGINE`` (microgradx, micrograd or torch) tries the
depths of :data:`bench.scalar.DEPTHS` in order and prints one line per depth:
``DEPTH ok SECONDS`` or ``DEPTH fail REASON``; it stops at the first failure.
A crash (the process dying) is seen by the parent as a missing line.
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

from .scalar import DEPTH_TIME_LIMIT, DEPTHS, chain_micrograd, chain_ours, chain_torch

CHAINS = {"microgradx": chain_ours, "micrograd": chain_micrograd, "torch": chain_torch}


def _alarm(signum: int, frame: Any) -> None:
    raise TimeoutError(f"over {DEPTH_TIME_LIMIT:.0f} s")


def main(argv: list[str]) -> int:
    """Try each depth for the engine named in ``argv``; 0 when the run ends normally."""
    if len(argv) != 1 or argv[0] not in CHAINS:
        print(f"usage: python -m bench.deep {{{'|'.join(CHAINS)}}}", file=sys.stderr)
        return 2
    chain = CHAINS[argv[0]]
    signal.signal(signal.SIGALRM, _alarm)
    for depth in DEPTHS:
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, DEPTH_TIME_LIMIT)
        try:
            grad = chain(depth)
        except (RecursionError, MemoryError, TimeoutError) as e:
            print(f"{depth} fail {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                  flush=True)
            return 0
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if not grad > 0:
            print(f"{depth} fail wrong gradient {grad!r}", flush=True)
            return 0
        print(f"{depth} ok {time.perf_counter() - t0:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
