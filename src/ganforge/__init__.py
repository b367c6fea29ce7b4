"""ganforge: train, evaluate and tune generative adversarial networks."""

import os

__version__ = "0.1.0"

# PyTorch's CPU threads are OpenMP threads, and OpenMP (GNU libgomp) lets a waiting thread spin
# on its core. When other processes want the cores, the spinning threads take them away from
# the one thread with work to do: 100 DCGAN steps took minutes instead of seconds on a busy
# 2-core machine (benchmarks/threads.py). Waiting threads sleep instead unless the user chose
# otherwise. OpenMP reads this once, when torch is first imported: after ganforge here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
