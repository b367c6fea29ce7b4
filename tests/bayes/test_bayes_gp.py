"""GP regression: interpolation, marginal likelihood against a direct computation, gradients,
jitter on near-singular matrices, posterior samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from ganforge.bayes.optimize.gp import GaussianProcess, stable_cholesky
from ganforge.bayes.optimize.kernels import Matern52, get_kernel


def _data(n: int = 12, d: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    return x, np.sin(6 * x[:, 0]) + x[:, -1] ** 2


@pytest.mark.parametrize("kernel", ["matern52", "rbf"])
def test_noise_free_posterior_interpolates_the_data(kernel: str) -> None:
    x, y = _data()
    gp = GaussianProcess(kernel, noise=0.0, seed=0).fit(x, y)
    mean, std = gp.predict(x)
    np.testing.assert_allclose(mean, y, atol=1e-6)
    assert std.max() < 1e-3 * y.std()
    # away from the data the posterior is uncertain again
    _, far_std = gp.predict(np.array([[3.0, 3.0]]))
    assert far_std[0] > 0.5 * np.sqrt(gp.amplitude)


@pytest.mark.parametrize("kernel", ["matern52", "rbf"])
def test_log_marginal_likelihood_matches_direct_gaussian_density(kernel: str) -> None:
    x, y = _data(15, 3)
    gp = GaussianProcess(kernel, optimize=False).fit(x, y)
    theta = np.array([0.3, -0.5, 0.2, -1.0, np.log(0.05)])
    amp, lengths, noise = np.exp(theta[0]), np.exp(theta[1:-1]), np.exp(theta[-1])
    # the covariance written out element by element from the kernel's formula
    r = np.sqrt((((x[:, None, :] - x[None, :, :]) / lengths) ** 2).sum(-1))
    if kernel == "rbf":
        corr = np.exp(-0.5 * r**2)
    else:
        corr = (1 + np.sqrt(5) * r + 5 / 3 * r**2) * np.exp(-np.sqrt(5) * r)
    cov = amp * corr + noise * np.eye(len(x))
    direct = multivariate_normal(np.zeros(len(x)), cov).logpdf(gp.y_std)
    assert gp.log_marginal_likelihood(theta) == pytest.approx(direct, rel=1e-10)


@pytest.mark.parametrize("kernel", ["matern52", "rbf"])
def test_log_marginal_likelihood_gradient_matches_finite_differences(kernel: str) -> None:
    x, y = _data(15, 3, seed=1)
    gp = GaussianProcess(kernel, optimize=False).fit(x, y)
    theta = np.array([0.1, -0.7, 0.4, -0.2, np.log(0.01)])
    _, grad = gp.log_marginal_likelihood(theta, grad=True)
    h = 1e-6
    numeric = [
        (gp.log_marginal_likelihood(theta + h * e) - gp.log_marginal_likelihood(theta - h * e))
        / (2 * h)
        for e in np.eye(len(theta))
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_fitting_raises_the_likelihood_and_finds_noise_and_scales() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((60, 2))
    # varies quickly along x0, barely along x1; noise std 0.1
    y = np.sin(8 * x[:, 0]) + 0.05 * x[:, 1] + 0.1 * rng.standard_normal(60)
    gp = GaussianProcess("matern52", seed=0, prior=None)
    start_lml = gp.fit(x, y).log_marginal_likelihood(gp._default_theta(2))
    assert gp.log_marginal_likelihood() > start_lml + 10
    assert gp.length_scales[1] > 3 * gp.length_scales[0]
    assert 0.05**2 < gp.noise < 0.2**2


def test_predicted_gradients_match_finite_differences() -> None:
    x, y = _data(20, 3, seed=2)
    gp = GaussianProcess("matern52", seed=0).fit(x, y)
    u = np.random.default_rng(5).random((4, 3))
    mean, std, dmean, dstd = gp.predict_with_grad(u)
    m2, s2 = gp.predict(u)
    np.testing.assert_allclose(mean, m2, rtol=1e-10)
    np.testing.assert_allclose(std, s2, rtol=1e-8)
    h = 1e-6
    for d in range(3):
        e = np.zeros(3)
        e[d] = h
        mp, sp = gp.predict(u + e)
        mm, sm = gp.predict(u - e)
        np.testing.assert_allclose(dmean[:, d], (mp - mm) / (2 * h), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(dstd[:, d], (sp - sm) / (2 * h), rtol=1e-4, atol=1e-6)


def test_kernel_input_gradient_and_length_gradient() -> None:
    k = Matern52()
    a, b = np.random.default_rng(0).random((3, 2)), np.random.default_rng(1).random((4, 2))
    lengths = np.array([0.3, 0.7])
    val, grad = k.with_input_grads(a, b, lengths)
    np.testing.assert_allclose(val, k(a, b, lengths))
    h = 1e-7
    e = np.array([h, 0.0])
    np.testing.assert_allclose(
        grad[:, :, 0], (k(a + e, b, lengths) - k(a - e, b, lengths)) / (2 * h), rtol=1e-5
    )
    sqdiff = (a[:, None, :] - a[None, :, :]) ** 2
    kern, g = k.length_grad_weights(sqdiff, lengths)
    np.testing.assert_allclose(kern, k(a, a, lengths))
    up = k(a, a, lengths * np.exp([h, 0]))
    down = k(a, a, lengths * np.exp([-h, 0]))
    np.testing.assert_allclose(
        g * sqdiff[..., 0] / lengths[0] ** 2, (up - down) / (2 * h), atol=1e-6
    )
    with pytest.raises(ValueError, match="choose one of"):
        get_kernel("periodic")


def test_duplicate_inputs_get_jitter_instead_of_failing() -> None:
    x = np.array([[0.2], [0.2], [0.2 + 1e-12], [0.8]])
    y = np.array([1.0, 1.0, 1.0, -1.0])
    gp = GaussianProcess("rbf", noise=0.0, optimize=False).fit(x, y)
    assert gp.jitter > 0
    assert np.all(np.isfinite(gp.predict(np.linspace(0, 1, 5)[:, None])[1]))
    with pytest.raises(np.linalg.LinAlgError, match="not positive"):
        stable_cholesky(-np.eye(3))


def test_posterior_samples_spread_like_the_posterior() -> None:
    x, y = _data(8, 1)
    gp = GaussianProcess("matern52", seed=0).fit(x, y)
    grid = np.linspace(0, 1, 30)[:, None]
    draws = gp.sample_y(grid, 4000, np.random.default_rng(0))
    mean, std = gp.predict(grid)
    np.testing.assert_allclose(draws.mean(0), mean, atol=4 * std.max() / np.sqrt(4000) + 1e-6)
    np.testing.assert_allclose(draws.std(0), std, rtol=0.1, atol=1e-4)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        GaussianProcess().fit(np.array([[0.0], [1.0]]), np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="as many targets"):
        GaussianProcess().fit(np.array([[0.0], [1.0]]), np.array([0.0]))
