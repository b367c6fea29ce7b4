"""Gaussian-process regression: Cholesky-based, hyperparameters from the marginal likelihood.

The model is y = f(x) + e with f ~ GP(mean, amp * k(x, x')) and e ~ N(0, noise). Targets are
standardised before fitting; amplitude, per-dimension length scales and noise are fitted by
L-BFGS-B on the log marginal likelihood (plus weak log-normal priors that keep them in a sensible
range when there are few points), from the previous solution, a default and random restarts.
Every factorisation goes through ``stable_cholesky``, which adds escalating jitter when a matrix is
numerically not positive definite (near-duplicate inputs, tiny noise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

from ganforge.bayes.optimize.kernels import Kernel, get_kernel
from ganforge.bayes.optimize.threads import single_threaded_blas

LOG_2PI = math.log(2 * math.pi)


def stable_cholesky(k: np.ndarray, max_tries: int = 8) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of ``k``, adding jitter 1e-10, 1e-9, ... x mean(diag) if needed."""
    scale = float(np.mean(np.diag(k))) if len(k) else 1.0
    if not math.isfinite(scale) or scale <= 0:
        raise np.linalg.LinAlgError(f"covariance diagonal is not positive (mean {scale})")
    jitter = 0.0
    for attempt in range(max_tries + 1):
        try:
            if jitter:
                k = k + jitter * np.eye(len(k))
            return cholesky(k, lower=True, check_finite=False), jitter
        except np.linalg.LinAlgError:
            jitter = scale * 10.0 ** (-10 + attempt)
    raise np.linalg.LinAlgError(f"matrix not positive definite even with jitter {jitter:.1e}")


@dataclass(frozen=True)
class Bounds:
    """Box for the log hyperparameters (amplitude, length scales, noise) in standardised units."""

    amp: tuple[float, float] = (1e-3, 1e3)
    length: tuple[float, float] = (1e-3, 1e2)
    noise: tuple[float, float] = (1e-8, 1.0)


@dataclass(frozen=True)
class Prior:
    """Independent normal priors on log amplitude, log length scales and log noise (None: off)."""

    log_amp: tuple[float, float] = (0.0, 2.0)
    log_length: tuple[float, float] = (math.log(0.5), 1.5)
    log_noise: tuple[float, float] = (math.log(1e-4), 3.0)


class GaussianProcess:
    """GP regression with an ARD kernel, fitted noise (or a fixed one) and standardised targets."""

    def __init__(
        self,
        kernel: str | Kernel = "matern52",
        *,
        noise: float | None = None,
        n_restarts: int = 2,
        prior: Prior | None = Prior(),
        bounds: Bounds = Bounds(),
        optimize: bool = True,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.kernel = get_kernel(kernel) if isinstance(kernel, str) else kernel
        self.fixed_noise = noise
        self.n_restarts = n_restarts
        self.prior = prior
        self.bounds = bounds
        self.optimize = optimize
        self.rng = np.random.default_rng(seed)
        self.theta: np.ndarray | None = None  # [log amp, log lengths..., log noise]
        self.jitter = 0.0

    # ----- hyperparameters -------------------------------------------------------------------
    def _unpack(self, theta: np.ndarray) -> tuple[float, np.ndarray, float]:
        amp, lengths = math.exp(theta[0]), np.exp(theta[1:-1])
        noise = math.exp(theta[-1]) if self.fixed_noise is None else self._fixed_noise_var()
        return amp, lengths, noise

    def _fixed_noise_var(self) -> float:
        return max(float(self.fixed_noise) / self.y_scale**2, 0.0)

    def _default_theta(self, d: int) -> np.ndarray:
        return np.array([0.0, *([math.log(0.5)] * d), math.log(1e-3)])

    def _theta_bounds(self, d: int) -> list[tuple[float, float]]:
        b = self.bounds
        return [tuple(np.log(b.amp)), *[tuple(np.log(b.length))] * d, tuple(np.log(b.noise))]

    def _prior_arrays(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        p = self.prior
        mu = np.array([p.log_amp[0], *[p.log_length[0]] * d, p.log_noise[0]])
        sd = np.array([p.log_amp[1], *[p.log_length[1]] * d, p.log_noise[1]])
        return mu, sd

    def log_prior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Log prior density of ``theta`` (up to a constant) and its gradient."""
        grad = np.zeros_like(theta)
        if self.prior is None:
            return 0.0, grad
        mu, sd = self._prior_arrays(len(theta) - 2)
        if self.fixed_noise is not None:
            sd[-1] = np.inf
        z = (theta - mu) / sd
        return float(-0.5 * (z**2).sum()), -z / sd

    def log_marginal_likelihood(
        self, theta: np.ndarray | None = None, *, grad: bool = False
    ) -> float | tuple[float, np.ndarray]:
        """log p(y | X, theta) of the standardised targets, optionally with its gradient."""
        theta = self.theta if theta is None else np.asarray(theta, dtype=float)
        x, y = self.x_train, self.y_std
        amp, lengths, noise = self._unpack(theta)
        kern, gw = self.kernel.length_grad_weights(self._sqdiff, lengths)
        k = amp * kern + noise * np.eye(len(x))
        chol, _ = stable_cholesky(k)
        alpha = cho_solve((chol, True), y, check_finite=False)
        lml = -0.5 * y @ alpha - np.log(np.diag(chol)).sum() - 0.5 * len(x) * LOG_2PI
        if not grad:
            return float(lml)
        w = np.outer(alpha, alpha) - cho_solve((chol, True), np.eye(len(x)), check_finite=False)
        g = np.empty(len(theta))
        g[0] = 0.5 * np.sum(w * (amp * kern))
        d = x.shape[1]
        g[1:-1] = 0.5 * amp * ((w * gw).reshape(-1) @ self._sqdiff.reshape(-1, d)) / lengths**2
        g[-1] = 0.5 * noise * np.trace(w) if self.fixed_noise is None else 0.0
        return float(lml), g

    def _objective(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            lml, g = self.log_marginal_likelihood(theta, grad=True)
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        lp, gp = self.log_prior(theta)
        value = -(lml + lp)
        if not math.isfinite(value) or not np.all(np.isfinite(g)):
            return 1e25, np.zeros_like(theta)
        return value, -(g + gp)

    def _random_theta(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """A restart point: drawn from the prior when there is one, else uniform in the box."""
        if self.prior is None:
            return lo + self.rng.random(len(lo)) * (hi - lo)
        mu, sd = self._prior_arrays(len(lo) - 2)
        return np.clip(mu + sd * self.rng.standard_normal(len(lo)), lo, hi)

    def _fit_hyperparameters(self, d: int) -> np.ndarray:
        bounds = self._theta_bounds(d)
        lo, hi = np.array(bounds).T
        starts = [self._default_theta(d)]
        if self.theta is not None and len(self.theta) == d + 2:
            starts.insert(0, self.theta)
        for _ in range(self.n_restarts):
            starts.append(self._random_theta(lo, hi))
        best, best_val = None, np.inf
        for start in starts:
            res = minimize(
                self._objective,
                np.clip(start, lo, hi),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 200},
            )
            if res.fun < best_val:
                best, best_val = res.x, res.fun
        return best if best is not None else self._default_theta(d)

    # ----- fitting and prediction ---------------------------------------------------------
    def fit(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """Fit inputs (n, D) and targets (n,); refits hyperparameters unless ``optimize=False``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        y = np.asarray(y, dtype=float).ravel()
        if len(x) != len(y) or len(y) == 0:
            raise ValueError(f"need as many targets as inputs (>= 1), got {len(x)} and {len(y)}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("GP inputs and targets must be finite")
        self.x_train = x
        self._sqdiff = (x[:, None, :] - x[None, :, :]) ** 2
        self.y_mean = float(y.mean())
        self.y_scale = float(y.std()) if y.std() > 0 else 1.0
        self.y_std = (y - self.y_mean) / self.y_scale
        d = x.shape[1]
        if self.optimize:
            with single_threaded_blas():
                self.theta = self._fit_hyperparameters(d)
        elif self.theta is None or len(self.theta) != d + 2:
            self.theta = self._default_theta(d)
        amp, lengths, noise = self._unpack(self.theta)
        k = amp * self.kernel(x, x, lengths) + noise * np.eye(len(x))
        self.chol, self.jitter = stable_cholesky(k)
        self.alpha = cho_solve((self.chol, True), self.y_std, check_finite=False)
        return self

    @property
    def amplitude(self) -> float:
        """Signal variance in the units of y squared."""
        return math.exp(self.theta[0]) * self.y_scale**2

    @property
    def length_scales(self) -> np.ndarray:
        """Per-dimension length scales in input units."""
        return np.exp(self.theta[1:-1])

    @property
    def noise(self) -> float:
        """Noise variance in the units of y squared."""
        return self._unpack(self.theta)[2] * self.y_scale**2

    def predict(
        self, x: np.ndarray, *, return_std: bool = True
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Posterior mean (and standard deviation of the latent f) at rows of ``x``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        amp, lengths, _ = self._unpack(self.theta)
        ks = amp * self.kernel(x, self.x_train, lengths)
        mean = ks @ self.alpha * self.y_scale + self.y_mean
        if not return_std:
            return mean
        v = solve_triangular(self.chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(amp - (v * v).sum(0), 1e-12 * amp)
        return mean, np.sqrt(var) * self.y_scale

    def predict_with_grad(
        self, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, std and their gradients (m, D) with respect to each row of ``x``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        amp, lengths, _ = self._unpack(self.theta)
        kern, dkern = self.kernel.with_input_grads(x, self.x_train, lengths)
        ks, dks = amp * kern, amp * dkern
        w = cho_solve((self.chol, True), ks.T, check_finite=False)  # (n, m) = K^-1 k*^T
        mean = ks @ self.alpha * self.y_scale + self.y_mean
        dmean = np.einsum("mnd,n->md", dks, self.alpha) * self.y_scale
        var = np.maximum(amp - (ks * w.T).sum(1), 1e-12 * amp)
        dvar = -2.0 * np.einsum("mnd,nm->md", dks, w)
        std = np.sqrt(var)
        return mean, std * self.y_scale, dmean, dvar / (2 * std)[:, None] * self.y_scale

    def sample_y(self, x: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Joint posterior draws of f at rows of ``x``: (n_samples, m)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        amp, lengths, _ = self._unpack(self.theta)
        ks = amp * self.kernel(x, self.x_train, lengths)
        v = solve_triangular(self.chol, ks.T, lower=True, check_finite=False)
        cov = amp * self.kernel(x, x, lengths) - v.T @ v
        chol, _ = stable_cholesky(0.5 * (cov + cov.T) + 1e-12 * amp * np.eye(len(x)))
        mean = ks @ self.alpha
        draws = mean + rng.standard_normal((n_samples, len(x))) @ chol.T
        return draws * self.y_scale + self.y_mean
