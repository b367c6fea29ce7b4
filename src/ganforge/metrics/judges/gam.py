"""Generative Adversarial Metric (Im et al. 2016): two GANs battle, each discriminator judging
the other's generator.

With eps(D(x)) a discriminator's error rate, r_test = eps(D1(x_test)) / eps(D2(x_test)) checks
that the two discriminators are equally good on held-out real data, and
r_samples = eps(D1(G2(z))) / eps(D2(G1(z))) compares how often each is fooled by the other's
generator. Model 1 wins when r_samples < 1 and r_test is about 1, model 2 when r_samples > 1 and
r_test is about 1; otherwise the battle is a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def ratio(a: float, b: float) -> float:
    """a / b, with 0 / 0 = 1 and a / 0 = inf."""
    if b == 0:
        return 1.0 if a == 0 else float("inf")
    return a / b


@dataclass
class Battle:
    """Both ratios, the four error rates and the verdict ("A", "B" or "tie")."""

    r_test: float
    r_samples: float
    errors: dict[str, float]
    winner: str


def battle(
    a_on_test: np.ndarray,
    b_on_test: np.ndarray,
    a_on_b_samples: np.ndarray,
    b_on_a_samples: np.ndarray,
    tolerance: float = 0.1,
) -> Battle:
    """GAM from the discriminators' verdicts (True: "real") on held-out real images and on the
    other model's samples; r_test counts as about 1 within ``tolerance``."""
    errors = {
        "a_test": float(1 - np.mean(a_on_test)),
        "b_test": float(1 - np.mean(b_on_test)),
        "a_on_b": float(np.mean(a_on_b_samples)),
        "b_on_a": float(np.mean(b_on_a_samples)),
    }
    r_test = ratio(errors["a_test"], errors["b_test"])
    r_samples = ratio(errors["a_on_b"], errors["b_on_a"])
    winner = "tie"
    if abs(r_test - 1) <= tolerance and r_samples != 1:
        winner = "A" if r_samples < 1 else "B"
    return Battle(r_test, r_samples, errors, winner)
