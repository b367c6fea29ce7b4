"""ganforge makes OpenMP's waiting threads sleep unless the user chose a wait policy
(benchmarks/threads.py: spinning threads slow training many times on a busy machine)."""

from __future__ import annotations

import os
import subprocess
import sys

PRINT = "import ganforge, os; print(os.environ.get('OMP_WAIT_POLICY'))"


def _policy(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PRINT], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_import_sets_a_passive_wait_policy_unless_one_is_given() -> None:
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy(base) == "PASSIVE"
    assert _policy({**base, "OMP_WAIT_POLICY": "active"}) == "active"  # the user's choice stays
