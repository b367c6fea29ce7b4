"""Measures from Borji's survey on features and class probabilities: hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.judges.critic import wasserstein_critic
from ganforge.metrics.judges.gam import battle, ratio
from ganforge.metrics.judges.labelled import adversarial, boundary_distortion, gan_train_test
from ganforge.metrics.judges.nrds import normalised_areas, nrds
from ganforge.metrics.judges.tournament import standings, win_matrix
from ganforge.metrics.measures.class_scores import (
    am_score,
    mean_pairwise_kl,
    mode_score,
    modified_inception_score,
)
from ganforge.metrics.measures.geometry import geometry_score, mean_rlt, relative_living_times
from ganforge.metrics.measures.prd import max_f_beta, prd, prd_from_histograms
from ganforge.metrics.measures.retrieval import retrieval

CONFIDENT = 60.0  # a logit gap that makes softmax one-hot to 1e-26


def one_hot_logits(classes: list[int], n_classes: int) -> np.ndarray:
    logits = np.zeros((len(classes), n_classes))
    logits[np.arange(len(classes)), classes] = CONFIDENT
    return logits


def test_modified_inception_score_by_hand() -> None:
    p1, p2 = np.array([0.8, 0.2]), np.array([0.6, 0.4])
    kl12 = float(np.sum(p1 * np.log(p1 / p2)))
    kl21 = float(np.sum(p2 * np.log(p2 / p1)))
    logits = np.log(np.stack([p1, p2]))
    assert mean_pairwise_kl(np.log(np.stack([p1, p2]))) == pytest.approx((kl12 + kl21) / 4)
    value, per_class = modified_inception_score(logits)  # both arg-max class 0: one group
    assert value == pytest.approx(np.exp((kl12 + kl21) / 4)) and set(per_class) == {0}
    same, _ = modified_inception_score(np.log(np.tile(p1, (5, 1))))
    assert same == pytest.approx(1.0)  # no diversity within the class
    grouped, per = modified_inception_score(logits, labels=np.array([0, 1]), min_count=1)
    assert grouped == pytest.approx(1.0) and set(per) == {0, 1}  # one sample per label
    with pytest.raises(GanforgeError, match="at least 2 samples"):
        modified_inception_score(logits, labels=np.array([0, 1]))


def test_mode_score_is_the_inception_score_penalised_by_the_class_marginal() -> None:
    uniform_real = one_hot_logits([0, 1, 2], 3)
    assert mode_score(one_hot_logits([0, 1, 2], 3), uniform_real) == pytest.approx(3.0)
    # one class only: IS 1, KL((1, 0, 0) || uniform) = log 3
    assert mode_score(one_hot_logits([0, 0, 0], 3), uniform_real) == pytest.approx(1 / 3)
    # a marginal matching the data's but skewed: IS unchanged, no penalty
    skewed = one_hot_logits([0, 0, 1], 3)
    is_skewed = np.exp(-(2 / 3) * np.log(2 / 3) - (1 / 3) * np.log(1 / 3))
    assert mode_score(skewed, skewed) == pytest.approx(is_skewed)


def test_am_score_by_hand() -> None:
    real = one_hot_logits([0, 1, 2, 3], 4)
    value, kl, entropy = am_score(one_hot_logits([3, 2, 1, 0], 4), real)
    assert value == pytest.approx(0.0, abs=1e-9) and kl == pytest.approx(0.0, abs=1e-9)
    value, kl, entropy = am_score(np.zeros((6, 4)), real)  # unsure everywhere, right marginal
    assert kl == pytest.approx(0.0) and entropy == pytest.approx(np.log(4)) == value
    _, kl, _ = am_score(one_hot_logits([0, 0, 1, 1], 4), real)
    assert kl > 10  # classes 2 and 3 never generated: KL(real || fake) is huge


def test_am_score_is_exact_for_class_probabilities_below_the_smallest_float() -> None:
    real = np.array([[0.0, -1000.0], [-1000.0, 0.0]])  # real marginal (1/2, 1/2)
    fake = np.tile([0.0, -1440.0], (4, 1))  # p(class 1) = e^-1440 / (1 + e^-1440) < 1e-308
    value, kl, entropy = am_score(fake, real)
    # KL = 1/2 ln((1/2) / 1) + 1/2 (ln(1/2) + 1440) = 720 - ln 2; the entropy is e^-1440-small
    assert kl == pytest.approx(720 - np.log(2), rel=1e-12) and entropy == pytest.approx(0.0)
    assert value == pytest.approx(720 - np.log(2), rel=1e-12)
    # the Mode Score's KL(p(y) || p*(y)) in log space too: p* = (1/2, 1/2), p(y) = (1, e^-1440)
    assert mode_score(fake, real) == pytest.approx(np.exp(-np.log(2)), rel=1e-9)


def clusters(n_per: int, classes: list[int], seed: int, dim: int = 3):  # type: ignore[no-untyped-def]
    """Well separated Gaussian clusters (centre 10 * e_c), labels, balanced."""
    rng = np.random.default_rng(seed)
    y = np.repeat(classes, n_per)
    centres = 10 * np.eye(max(4, dim))[:, :dim]
    return centres[y] + 0.3 * rng.standard_normal((len(y), dim)), y


def test_gan_train_and_gan_test_on_separable_classes() -> None:
    real_x, real_y = clusters(40, [0, 1, 2], 0)
    fake_x, fake_y = clusters(30, [0, 1, 2], 1)
    result = gan_train_test(real_x, real_y, fake_x, fake_y)
    assert (result.gan_train, result.gan_test, result.real_accuracy) == (1.0, 1.0, 1.0)
    swapped = gan_train_test(real_x, real_y, fake_x, (fake_y + 1) % 3)
    assert swapped.gan_train == 0.0 and swapped.gan_test == 0.0


def test_adversarial_accuracy_counts_the_missing_classes() -> None:
    real_x, real_y = clusters(40, [0, 1, 2, 3], 0)
    fake_x, _ = clusters(40, [0, 1], 2)  # two of four classes generated
    result = adversarial(real_x, real_y, fake_x)
    assert result.accuracy == 0.5 and result.real_accuracy == 1.0  # stratified halves
    assert result.divergence > 5
    collapsed = adversarial(real_x, real_y, clusters(40, [2], 2)[0])  # one class generated
    assert collapsed.accuracy == 0.25 and collapsed.divergence > 5
    full = adversarial(real_x, real_y, clusters(40, [0, 1, 2, 3], 3)[0])
    assert full.accuracy == 1.0 and full.divergence < 0.5


def test_boundary_distortion_on_a_binary_task() -> None:
    real_x, real_y = clusters(40, [0, 1, 2], 0)
    result = boundary_distortion(real_x, real_y, clusters(40, [0, 1, 2], 4)[0], classes=[0, 1])
    assert result.synthetic_accuracy == 1.0 == result.real_accuracy
    assert result.classes == [0, 1] and result.n_synthetic == 80
    with pytest.raises(GanforgeError, match="missing \\[7\\]"):
        boundary_distortion(real_x, real_y, real_x, classes=[0, 7])


def test_wasserstein_critic_estimates_a_known_distance(one_thread) -> None:
    rng = np.random.default_rng(0)
    real = rng.standard_normal((600, 2))
    fake = rng.standard_normal((600, 2)) + np.array([2.0, 0.0])  # W1 of a shift: its length
    estimate = wasserstein_critic(real, fake, steps=200, hidden=32, seed=0)
    # the gradient penalty bounds the slope only softly: WGAN-GP critics overshoot a little
    assert estimate.test == pytest.approx(2.0, rel=0.2)
    scaled = wasserstein_critic(10 * real, 10 * fake, steps=200, hidden=32, seed=0)
    assert scaled.test == pytest.approx(10 * estimate.test, rel=1e-4)  # W1 is homogeneous
    same = wasserstein_critic(real, rng.standard_normal((600, 2)), steps=200, hidden=32)
    assert abs(same.test) < 0.2


def test_retrieval_by_hand() -> None:
    result = retrieval(np.array([[0.0], [5.0], [10.0]]), np.array([[1.0], [4.0]]), worst=2)
    assert result.mean == pytest.approx(8 / 3) and result.worst == [2, 0]
    assert result.percentiles[50] == pytest.approx(1.0)


def test_prd_curves_by_hand() -> None:
    p, r = prd_from_histograms(np.array([0.5, 0.5, 0]), np.array([0.5, 0, 0.5]))
    assert max_f_beta(p, r, 8) == pytest.approx(0.5) == max_f_beta(p, r, 1 / 8)
    p, r = prd_from_histograms(np.array([1.0, 0]), np.array([0, 1.0]))
    assert max_f_beta(p, r, 8) == 0.0 and p.max() == 0.0
    blobs, labels = clusters(50, [0, 1, 2, 3], 0)
    same = prd(blobs, blobs.copy(), clusters=4, runs=2)
    assert same.f_8 == pytest.approx(1.0) and same.f_1_8 == pytest.approx(1.0)
    # two of four equally likely modes: at slope 2, precision 1 and recall 1/2, so
    # F_8 = 65 * 0.5 / 64.5 and F_1/8 = (65 / 64) * 0.5 / (1 / 64 + 0.5)
    half = prd(blobs, blobs[labels < 2], clusters=4, runs=2)
    assert half.f_8 == pytest.approx(65 * 0.5 / 64.5, abs=2e-3)
    assert half.f_1_8 == pytest.approx((65 / 64) * 0.5 / (1 / 64 + 0.5), abs=2e-3)


def test_relative_living_times_by_hand() -> None:
    rlt = relative_living_times(np.array([[0.1, 0.3], [0.2, 0.5]]), 1.0, i_max=4)
    assert rlt.tolist() == pytest.approx([0.6, 0.3, 0.1, 0.0])
    assert relative_living_times(np.empty((0, 2)), 2.0, 3).tolist() == [1.0, 0.0, 0.0]
    assert relative_living_times(np.array([[0.5, np.inf]]), 2.0, 3).tolist() == [0.25, 0.75, 0]


def test_geometry_score_sees_the_hole_of_a_circle() -> None:
    pytest.importorskip("gudhi")
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, 400)
    circle = np.c_[np.cos(angle), np.sin(angle)]
    blob = rng.standard_normal((400, 2)) * 0.3
    options = {"landmarks": 32, "gamma": 0.2, "repeats": 5, "i_max": 10}
    assert mean_rlt(circle, **options)[1] > 0.9  # one hole through most of the filtration
    assert geometry_score(circle, circle, **options).score == 0.0
    assert geometry_score(circle, blob, **options).score > 0.5


def test_nrds_areas_and_symmetry(one_thread) -> None:
    scores, areas = normalised_areas(np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]))
    assert areas.tolist() == [2.0, 0.5] and scores.tolist() == pytest.approx([0.8, 0.2])
    rng = np.random.default_rng(0)
    real = rng.standard_normal((200, 2))
    twin = rng.standard_normal((200, 2))
    same = nrds(real, [twin, twin.copy()], epochs=3)
    assert same.scores == [0.5, 0.5]  # identical sets: identical curves
    ranked = nrds(real, [rng.standard_normal((200, 2)), twin + 4.0], epochs=5)
    assert ranked.scores[0] > ranked.scores[1]


def test_gam_battle_by_hand() -> None:
    assert ratio(0.0, 0.0) == 1.0 and ratio(1.0, 0.0) == float("inf")
    real_a = np.array([True, True, True, False])  # error 0.25
    real_b = np.array([True, False, True, True])  # error 0.25: r_test = 1
    result = battle(real_a, real_b, np.array([True, False]), np.array([True, True]))
    assert result.r_test == 1.0 and result.r_samples == 0.5 and result.winner == "A"
    worse_b = battle(real_a, real_b, np.array([True, True]), np.array([False, True]))
    assert worse_b.winner == "B" and worse_b.r_samples == 2.0
    unequal = battle(real_a, np.array([True] * 4), np.array([False]), np.array([True]))
    assert unequal.r_test == float("inf") and unequal.winner == "tie"


def test_tournament_standings_use_the_rating_skill_code() -> None:
    from ganforge.rate import skill

    fooled = np.array([[8, 6], [2, 1]])  # generator 0 fools both discriminators more often
    games = np.full((2, 2), 10)
    wins = win_matrix(fooled, games)
    assert wins[0, 2] == 8 and wins[2, 0] == 2 and wins[3, 1] == 9
    table = standings(fooled, games, ["G a", "G b"], ["D a", "D b"])
    assert table.win_rate[0] == pytest.approx(0.7) and table.win_rate[1] == pytest.approx(0.15)
    assert table.games == [20, 20, 20, 20] and table.wins[2] == 2 + 8
    theta = skill.bradley_terry(wins, prior=0.5).theta
    assert table.skill == pytest.approx(skill.to_elo_scale(theta).tolist())
    assert table.skill[0] > table.skill[1] and table.elo[0] > table.elo[1]
