"""autograd_core.ml against scikit-learn (same estimators, same data) and against the course's formulas."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ml

sk = pytest.importorskip("sklearn")


def _data(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = np.sin(x @ rng.standard_normal(d)) + 0.1 * rng.standard_normal(n)
    return x, y


def _classes(n=60, k=3, d=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.standard_normal((n, d)) + 1.5 * rng.standard_normal((k, d))[y]
    return x, y


# ---------------------------------------------------------------------- kernels and kernel ridge


def test_kernels_match_sklearn_pairwise_and_the_course_forms():
    from sklearn.metrics import pairwise as pw

    x, _ = _data(7, 3)
    y = x[:4] + 0.3
    np.testing.assert_allclose(ml.linear_kernel(x, y).data, pw.linear_kernel(x, y), rtol=1e-12)
    np.testing.assert_allclose(ml.polynomial_kernel(x, y, 3, 0.5, 2.0).data, pw.polynomial_kernel(x, y, 3, 0.5, 2.0),
                               rtol=1e-12)
    np.testing.assert_allclose(ml.polynomial_kernel(x, y).data, pw.polynomial_kernel(x, y), rtol=1e-12)
    np.testing.assert_allclose(ml.rbf_kernel(x, y, 0.7).data, pw.rbf_kernel(x, y, gamma=0.7), rtol=1e-12)
    np.testing.assert_allclose(ml.rbf_kernel(x).data, pw.rbf_kernel(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ml.sigmoid_kernel(x, y, 0.2, 0.5).data, pw.sigmoid_kernel(x, y, 0.2, 0.5), rtol=1e-12)
    # course: (x^T x')^k, (1 + x^T x')^k, exp(-|x - x'|^2 / (2 sigma^2))
    np.testing.assert_allclose(ml.polynomial_kernel_exact(x, y, 2).data, (x @ y.T) ** 2, rtol=1e-12)
    np.testing.assert_allclose(ml.polynomial_kernel_up_to(x, y, 3).data, (1 + x @ y.T) ** 3, rtol=1e-12)
    sq = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(ml.rbf_kernel(x, y, sigma=1.3).data, np.exp(-sq / (2 * 1.3 ** 2)), rtol=1e-12)
    with pytest.raises(ValueError, match="pass gamma or sigma, not both"):
        ml.rbf_kernel(x, y, gamma=1.0, sigma=1.0)
    with pytest.raises(ValueError, match="X has 3 features but Y has 2"):
        ml.linear_kernel(x, x[:, :2])


def test_kernels_are_differentiable_in_inputs_and_bandwidth():
    x, _ = _data(5, 2)
    xt = ag.tensor(x, requires_grad=True)
    g = ag.tensor(0.4, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda a, gam: ml.rbf_kernel(a, a[:3] + 0.5, gam), [xt, g])
    assert ag.gradgradcheck(lambda gam: ml.rbf_kernel(x, x[:3] + 0.5, gam), [g])
    assert ag.gradcheck(lambda a: ml.polynomial_kernel(a, None, 2) + ml.sigmoid_kernel(a, None), [xt])


@pytest.mark.parametrize("kw", [{"kernel": "rbf", "gamma": 0.5, "alpha": 0.1}, {"kernel": "linear", "alpha": 1.0},
                                {"kernel": "poly", "degree": 2, "alpha": 0.3, "coef0": 1.0},
                                {"kernel": "sigmoid", "gamma": 0.1, "alpha": 2.0}])
def test_kernel_ridge_matches_sklearn(kw):
    from sklearn.kernel_ridge import KernelRidge

    x, y = _data()
    xq = x[:10] + 0.2
    ours = ml.KernelRidge(**kw).fit(x, y)
    theirs = KernelRidge(**kw).fit(x, y)
    np.testing.assert_allclose(ours.dual_coef_.data, theirs.dual_coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.predict(xq).data, theirs.predict(xq), rtol=1e-7, atol=1e-9)
    y2 = np.stack([y, -2 * y], 1)  # several targets at once
    np.testing.assert_allclose(ml.KernelRidge(**kw).fit(x, y2).predict(xq).data,
                               KernelRidge(**kw).fit(x, y2).predict(xq), rtol=1e-7, atol=1e-9)
    assert abs(ours.score(x, y) - theirs.score(x, y)) < 1e-8


def test_kernel_ridge_is_the_course_closed_form():
    x, y = _data(12, 2)
    lam, sigma = 0.3, 0.8
    model = ml.KernelRidge(alpha=lam, kernel=lambda a, b: ml.rbf_kernel(a, b, sigma=sigma)).fit(x, y)
    p = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / (2 * sigma ** 2))
    alpha_hat = np.linalg.inv(p + lam * np.eye(12)) @ y  # alpha = (P + lambda I)^-1 y
    np.testing.assert_allclose(model.dual_coef_.data, alpha_hat, rtol=1e-9)


def test_kernel_ridge_hyperparameters_are_learned_through_the_solve():
    x, y = _data(60, 1, seed=3)
    xtr, ytr, xva, yva = x[:40], y[:40], x[40:], y[40:]
    # the gradient of the validation loss w.r.t. (lambda, gamma) through solve agrees with finite differences
    def val_loss(alpha, gamma):
        m = ml.KernelRidge(alpha=alpha, kernel="rbf", gamma=gamma).fit(xtr, ytr)
        return ((m.predict(xva) - ag.tensor(yva)) ** 2).mean()

    assert ag.gradcheck(val_loss, [ag.tensor(0.2, dtype=ag.float64, requires_grad=True),
                                  ag.tensor(0.7, dtype=ag.float64, requires_grad=True)])
    model = ml.KernelRidge(alpha=5.0, kernel="rbf", gamma=20.0)  # a poor start: too smooth a fit, too narrow
    hist = model.fit_hyperparameters(xtr, ytr, xva, yva, steps=60, lr=0.1)
    assert hist[-1] < 0.5 * hist[0], hist[::10]
    assert isinstance(model.alpha, float) and isinstance(model.gamma, float)
    assert model.alpha < 5.0 and model.gamma < 20.0
    assert np.mean((model.predict(xva).numpy() - yva) ** 2) == pytest.approx(hist[-1], rel=0.2)
    with pytest.raises(ValueError, match="alpha must start at a positive number"):
        ml.KernelRidge(alpha=0.0).fit_hyperparameters(xtr, ytr, xva, yva)


def test_bootstrap_interval_covers_the_true_function_near_the_nominal_rate():
    rng = np.random.default_rng(0)

    def truth(v):
        return np.sin(2 * v)

    xq = np.linspace(-1.5, 1.5, 25)[:, None]
    hits = []
    for rep in range(12):  # 12 independent training sets, 25 query points each
        x = rng.uniform(-2, 2, (60, 1))
        y = truth(x[:, 0]) + 0.3 * rng.standard_normal(60)
        ci = ml.bootstrap_ci(lambda: ml.KernelRidge(alpha=0.05, kernel="rbf", gamma=1.0), x, y, xq, n_boot=100,
                             seed=rep)
        assert ci.predictions.shape == (100, 25) and np.all(ci.lower <= ci.upper)
        hits.append(ci.covers(truth(xq[:, 0])))
    coverage = float(np.mean(hits))
    assert 0.75 <= coverage <= 0.99, coverage  # nominal 0.90; the smoothing bias pulls it slightly down
    narrow = ml.bootstrap_ci(lambda: ml.KernelRidge(alpha=0.05, kernel="rbf", gamma=1.0), x, y, xq, n_boot=100,
                             level=0.5)
    assert np.all(narrow.upper - narrow.lower <= ci.upper - ci.lower + 1e-12)
    with pytest.raises(ValueError, match="level must be in"):
        ml.bootstrap_ci(ml.KernelRidge, x, y, xq, level=90)


# ---------------------------------------------------------------------- classifiers


@pytest.mark.parametrize("metric,p", [("minkowski", 2), ("euclidean", 2), ("manhattan", 2), ("chebyshev", 2),
                                      ("minkowski", 3), ("cosine", 2)])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_matches_sklearn(metric, p, weights):
    from sklearn.neighbors import KNeighborsClassifier

    x, y = _classes(seed=1)
    xq, _ = _classes(30, seed=2)
    xq[0] = x[3]  # an exact match (distance 0) exercises the 'distance' weighting rule
    kw = dict(n_neighbors=5, weights=weights, metric=metric, p=p)
    ours = ml.KNeighborsClassifier(**kw).fit(x, y)
    theirs = KNeighborsClassifier(algorithm="brute", **kw).fit(x, y)
    np.testing.assert_allclose(ours.predict_proba(xq), theirs.predict_proba(xq), atol=1e-12)
    np.testing.assert_array_equal(ours.predict(xq), theirs.predict(xq))
    d1, i1 = ours.kneighbors(xq[1:])
    d2, i2 = theirs.kneighbors(xq[1:])
    np.testing.assert_allclose(d1, d2, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(i1, i2)


def test_knn_errors():
    x, y = _classes(6)
    with pytest.raises(ValueError, match="n_neighbors=10 must be between 1 and the number of training samples"):
        ml.KNeighborsClassifier(10).fit(x, y)
    with pytest.raises(ValueError, match="unknown metric 'hamming'"):
        ml.KNeighborsClassifier(metric="hamming")


def test_gaussian_classifier_matches_sklearn_qda_and_is_the_mle():
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

    x, y = _classes(90, k=3, d=2, seed=4)
    xq, _ = _classes(20, seed=5)
    ours = ml.GaussianClassifier(priors="empirical").fit(x, y)  # scikit-learn 1.9's QDA: MLE covariances
    theirs = QuadraticDiscriminantAnalysis().fit(x, y)
    np.testing.assert_allclose(ours.predict_proba(xq).data, theirs.predict_proba(xq), rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(xq), theirs.predict(xq))
    unbiased = ml.GaussianClassifier(ddof=1).fit(x, y).covariances_.data
    np.testing.assert_allclose(unbiased[0], np.cov(x[y == 0].T), rtol=1e-12)
    # the closed form (ddof=0) is a stationary point of the log-likelihood: autograd's gradient vanishes
    mle = ml.GaussianClassifier().fit(x, y)
    mu = mle.means_.detach().requires_grad_()
    cov = mle.covariances_.detach().requires_grad_()
    gmu, gcov = ag.grad(mle.log_likelihood(x, y, mu, cov), [mu, cov])
    assert np.abs(gmu.data).max() < 1e-10 and np.abs(gcov.data).max() < 1e-10
    # ... and a maximum: moving the mean lowers it
    assert mle.log_likelihood(x, y, mu.detach() + 0.1).item() < mle.log_likelihood(x, y).item()
    assert ml.gaussian_log_density(ag.tensor(x[:3]), mu[0], cov[0]).shape == (3,)
    assert mle.score(x, y) == pytest.approx(theirs.score(x, y))


def test_linear_regression_normal_equation_and_gradient_descent_match_sklearn():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.7 + 0.1 * rng.standard_normal(50)
    theirs = LinearRegression().fit(x, y)
    for solver in ("normal", "gd"):
        ours = ml.LinearRegression(solver=solver).fit(x, y)
        tol = 1e-10 if solver == "normal" else 1e-7
        np.testing.assert_allclose(ours.coef_.data, theirs.coef_, rtol=tol, atol=tol)
        np.testing.assert_allclose(ours.intercept_.item(), theirs.intercept_, rtol=tol, atol=tol)
        assert ours.score(x, y) == pytest.approx(theirs.score(x, y), abs=1e-8)
    gd = ml.LinearRegression(solver="gd")
    gd.fit(x, y)
    assert gd.loss_history_[-1] < gd.loss_history_[0] and all(np.diff(gd.loss_history_) <= 1e-15)
    with pytest.raises(ag.linalg.LinAlgError, match=r"LinearRegression: X\^T X \(3x3\) is singular"):
        ml.LinearRegression().fit(np.stack([x[:, 0], x[:, 0]], 1), y)


@pytest.mark.parametrize("k,C", [(2, 1.0), (2, 0.1), (3, 1.0), (4, 10.0)])
def test_logistic_and_softmax_regression_match_sklearn(k, C):
    from sklearn.linear_model import LogisticRegression

    x, y = _classes(80, k=k, d=3, seed=k)
    ours = ml.LogisticRegression(C=C).fit(x, y)
    theirs = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(x, y)
    np.testing.assert_allclose(ours.predict_proba(x).data, theirs.predict_proba(x), atol=1e-6)
    np.testing.assert_allclose(ours.coef_.data, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_.data, theirs.intercept_, atol=1e-5)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))
    assert ours.n_iter_ < 20  # Newton with the exact Hessian: a handful of steps


def test_logistic_regression_by_gradient_descent_and_softmax_for_two_classes():
    x, y = _classes(60, k=2, d=2, seed=7)
    newton_fit = ml.LogisticRegression(C=1.0).fit(x, y)
    gd_fit = ml.LogisticRegression(C=1.0, solver="gd", lr=0.5, max_iter=5000, tol=1e-9).fit(x, y)
    np.testing.assert_allclose(gd_fit.predict_proba(x).data, newton_fit.predict_proba(x).data, atol=1e-6)
    soft = ml.SoftmaxRegression(C=np.inf).fit(x, y)
    logi = ml.LogisticRegression(C=np.inf).fit(x, y)
    # with no penalty, softmax over two classes is the same model as one sigmoid unit (w = w_1 - w_0)
    np.testing.assert_allclose(soft.predict_proba(x).data, logi.predict_proba(x).data, atol=1e-6)
    with pytest.raises(ValueError, match="at least 2 classes"):
        ml.LogisticRegression().fit(x, np.zeros(60))


# ---------------------------------------------------------------------- Newton's method


def test_newton_on_the_course_quadratic_takes_one_step():
    # seed 002: f(x1, x2) = x1^2 + x1 x2 + 4 x2^2 from (3, 3); Newton is exact on a quadratic
    def f(v):
        return v[0] ** 2 + v[0] * v[1] + 4 * v[1] ** 2

    res = ml.newton(f, np.array([3.0, 3.0]), line_search=False)
    assert res.converged and res.n_iter == 1
    np.testing.assert_allclose(res.x.data, [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("method", ["exact", "cg"])
def test_newton_minimises_rosenbrock(method):
    def rosen(v):
        return ((1 - v[:-1]) ** 2).sum() + 100 * ((v[1:] - v[:-1] ** 2) ** 2).sum()

    res = ml.newton(rosen, np.array([-1.2, 1.0, -0.5]), method=method, max_iter=200, tol=1e-8)
    assert res.converged, (res.n_iter, res.grad_norm)
    np.testing.assert_allclose(res.x.data, np.ones(3), atol=1e-6)
    assert all(b <= a + 1e-12 for a, b in zip(res.history, res.history[1:]))  # the line search only descends


def test_newton_reports_a_singular_hessian():
    with pytest.raises(ag.linalg.LinAlgError, match="Hessian .2x2. is singular at iteration 1; pass damping"):
        ml.newton(lambda v: (v[0] + v[1]) ** 2, np.array([1.0, 2.0]))
    res = ml.newton(lambda v: (v[0] + v[1]) ** 2, np.array([1.0, 2.0]), damping=1e-8)
    assert res.converged


# ---------------------------------------------------------------------- model selection and metrics


@pytest.mark.parametrize("n,k", [(10, 3), (12, 4), (7, 7)])
def test_k_fold_matches_sklearn_kfold(n, k):
    from sklearn.model_selection import KFold

    ours = ml.k_fold(n, k)
    theirs = list(KFold(k).split(np.zeros(n)))
    assert len(ours) == len(theirs)
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(np.sort(a), c)
        np.testing.assert_array_equal(b, d)
    shuffled = ml.k_fold(n, k, shuffle=True, seed=0)
    assert sorted(np.concatenate([v for _, v in shuffled]).tolist()) == list(range(n))
    with pytest.raises(ValueError, match="k must be between 2 and n_samples"):
        ml.k_fold(n, n + 1)


def test_cross_val_score_matches_sklearn():
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    x, y = _classes(60, seed=9)
    ours = ml.cross_val_score(lambda: ml.KNeighborsClassifier(3), x, y, k=5)
    theirs = cross_val_score(KNeighborsClassifier(3, algorithm="brute"), x, y, cv=sk.model_selection.KFold(5))
    np.testing.assert_allclose(ours, theirs)


def test_metrics_match_sklearn():
    from sklearn import metrics as skm

    rng = np.random.default_rng(0)
    t3, p3 = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    t2, p2 = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert ml.accuracy_score(t3, p3) == skm.accuracy_score(t3, p3)
    np.testing.assert_array_equal(ml.confusion_matrix(t3, p3), skm.confusion_matrix(t3, p3))
    np.testing.assert_array_equal(ml.confusion_matrix(t3, p3, labels=[2, 0]),
                                  skm.confusion_matrix(t3, p3, labels=[2, 0]))
    for name in ("precision_score", "recall_score", "f1_score"):
        ours, theirs = getattr(ml, name), getattr(skm, name)
        assert ours(t2, p2) == pytest.approx(theirs(t2, p2))
        assert ours(t2, p2, pos_label=0) == pytest.approx(theirs(t2, p2, pos_label=0))
        for avg in ("macro", "micro", "weighted"):
            assert ours(t3, p3, average=avg) == pytest.approx(theirs(t3, p3, average=avg)), (name, avg)
        np.testing.assert_allclose(ours(t3, p3, average=None), theirs(t3, p3, average=None))
    # zero division -> 0, as scikit-learn's default (which also warns)
    assert ml.precision_score([0, 0, 1], [0, 0, 0]) == 0.0
    prob = rng.dirichlet(np.ones(3), 50)
    assert ml.log_loss(t3, prob) == pytest.approx(skm.log_loss(t3, prob), rel=1e-12)
    pb = rng.uniform(0, 1, 50)
    pb[0] = 1.0  # clipped, not infinite
    assert ml.log_loss(t2, pb) == pytest.approx(skm.log_loss(t2, pb), rel=1e-12)
    yt, yp = rng.standard_normal(20), rng.standard_normal(20)
    assert ml.mean_squared_error(yt, yp) == pytest.approx(skm.mean_squared_error(yt, yp), rel=1e-12)
    assert ml.metrics.mse is ml.mean_squared_error and ml.metrics.f1 is ml.f1_score
    assert ml.accuracy_score(ag.tensor(t3), ag.tensor(t3)) == 1.0  # tensors are accepted
    with pytest.raises(ValueError, match="average='binary' needs two classes, got 3"):
        ml.f1_score(t3, p3)
    with pytest.raises(ValueError, match="y_true has 3 entries but y_pred has 2"):
        ml.accuracy_score([1, 2, 3], [1, 2])
