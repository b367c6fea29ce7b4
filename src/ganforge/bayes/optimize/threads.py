"""One BLAS thread for the optimiser's small matrices."""

from __future__ import annotations

import contextlib
from typing import Any


def single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread: the matrices here are small (n up to a few hundred), so extra
    threads only add synchronisation, which on a loaded machine makes a search up to 10x
    slower. Uses threadpoolctl when installed (it comes with scikit-learn); a no-op otherwise."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - NumPy/SciPy-only installs
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
