"""Parallel model selection in autograd_core.ml: bagging, grid / randomized search, n_jobs for cross_val_score
and bootstrap_ci. Values against scikit-learn (same data, same folds) and against the definitions; every
function gives bit-identical results for n_jobs=1 and n_jobs=2 under joblib's loky and threading backends."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ml

joblib = pytest.importorskip("joblib")
sk = pytest.importorskip("sklearn")
from scipy.stats import loguniform  # noqa: E402  (scikit-learn brings scipy)


def _data(n=40, d=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = np.sin(x @ rng.standard_normal(d)) + 0.1 * rng.standard_normal(n)
    return x, y


def _classes(n=60, k=3, d=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.standard_normal((n, d)) + 1.5 * rng.standard_normal((k, d))[y]
    return x, y


class _GradProbe:
    """Predicts whether grad mode was on during its fit (1.0) or off (0.0)."""

    def fit(self, X, y):
        self.grad_ = ag.is_grad_enabled()
        return self

    def predict(self, X):
        return np.full(len(X), float(self.grad_))


class _Centroid:
    """Nearest class mean; no predict_proba, so bagging takes hard votes."""

    def fit(self, X, y):
        x, y = np.asarray(X), np.asarray(y)
        self.classes_ = np.unique(y)
        self.means_ = np.stack([x[y == c].mean(0) for c in self.classes_])
        return self

    def predict(self, X):
        d = ((np.asarray(X)[:, None, :] - self.means_[None]) ** 2).sum(-1)
        return self.classes_[np.argmin(d, 1)]


def _krr(**kw):
    return ml.KernelRidge(kernel="rbf", **kw)


# ---------------------------------------------------------------------- n_jobs gives the serial results


def _every_function(n_jobs):
    """The outputs of each parallel entry point, as arrays."""
    x, y = _data()
    xc, yc = _classes()
    out = {"cv": ml.cross_val_score(lambda: ml.KNeighborsClassifier(3), xc, yc, k=4, shuffle=True, seed=3,
                                    n_jobs=n_jobs)}
    ci = ml.bootstrap_ci(lambda: _krr(alpha=0.1, gamma=0.5), x, y, x[:7], n_boot=10, seed=5, n_jobs=n_jobs)
    out["boot"], out["boot_lo"] = ci.predictions, ci.lower
    xt = ag.tensor(x)
    assert xt.T.shape == (2, 40)  # a view of xt: pickling xt as it is would fail, the fan-out detaches it
    out["bag_reg"] = ml.BaggingRegressor(lambda: _krr(alpha=0.1), 5, max_samples=0.8, seed=2,
                                         n_jobs=n_jobs).fit(xt, y).predict(x)
    # LogisticRegression differentiates inside fit (Newton): grad mode must be on in the workers
    out["bag_clf"] = ml.BaggingClassifier(ml.LogisticRegression(C=2.0), 4, seed=2, n_jobs=n_jobs).fit(
        xc, yc).predict_proba(xc)
    grid = ml.GridSearchCV(ml.KernelRidge, {"alpha": [0.01, 0.1, 1.0], "kernel": ["rbf", "linear"]}, k=3,
                           n_jobs=n_jobs).fit(x, y)
    out["grid"] = np.stack([grid.cv_results_[f"split{i}_test_score"] for i in range(3)])
    out["grid_pred"] = grid.predict(x).numpy()
    rand = ml.RandomizedSearchCV(_krr, {"alpha": loguniform(1e-3, 1.0), "gamma": [0.1, 0.5, 2.0]}, n_iter=4, k=3,
                                 shuffle=True, seed=4, n_jobs=n_jobs).fit(x, y)
    out["rand_params"] = np.array([[p["alpha"], p["gamma"]] for p in rand.cv_results_["params"]])
    out["rand"] = rand.cv_results_["mean_test_score"]
    return out


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_every_function_gives_the_serial_results_in_parallel(backend):
    serial = _every_function(1)
    with joblib.parallel_config(backend=backend):
        parallel = _every_function(2)
    assert serial.keys() == parallel.keys()
    for key in serial:
        assert np.array_equal(serial[key], parallel[key]), key
    # grad mode as in the serial code: off in bootstrap_ci's refits, on in bagging's (both per worker)
    x, y = _data(12)
    with joblib.parallel_config(backend=backend):
        ci = ml.bootstrap_ci(_GradProbe, x, y, x[:3], n_boot=4, n_jobs=2)
        bag = ml.BaggingRegressor(_GradProbe, 4, n_jobs=2).fit(x, y)
    assert np.all(ci.predictions == 0.0) and np.all(bag.predict(x) == 1.0)


def test_all_cores_and_none_inside_parallel_config():
    x, y = _data()
    grid = {"alpha": [0.01, 0.1, 1.0]}
    serial = ml.GridSearchCV(_krr, grid, n_jobs=1).fit(x, y).cv_results_["mean_test_score"]
    with joblib.parallel_config(backend="threading"):
        every_core = ml.GridSearchCV(_krr, grid, n_jobs=-1).fit(x, y).cv_results_["mean_test_score"]
    assert np.array_equal(serial, every_core)
    # n_jobs=None follows an enclosing parallel_config(n_jobs=...) once joblib is imported (scikit-learn's rule)
    threads = set()

    def recording():
        threads.add(threading.get_ident())
        return _krr(alpha=0.1)

    with joblib.parallel_config(backend="threading", n_jobs=2):
        ci = ml.bootstrap_ci(recording, x, y, x[:4], n_boot=40, seed=1)
    assert threading.get_ident() not in threads
    assert np.array_equal(ci.predictions, ml.bootstrap_ci(lambda: _krr(alpha=0.1), x, y, x[:4], n_boot=40,
                                                          seed=1, n_jobs=1).predictions)
    threads.clear()
    ml.bootstrap_ci(recording, x, y, x[:4], n_boot=3)  # no config: serial, in this thread
    assert threads == {threading.get_ident()}


def test_without_joblib_n_jobs_none_runs_serially_and_n_jobs_2_says_what_to_install(monkeypatch):
    x, y = _data()
    expected = ml.cross_val_score(_krr, x, y, scoring=ml.mean_squared_error, n_jobs=1)
    monkeypatch.setitem(sys.modules, "joblib", None)  # import joblib now raises ImportError
    assert np.array_equal(ml.cross_val_score(_krr, x, y, scoring=ml.mean_squared_error), expected)
    with pytest.raises(ImportError, match=r"cross_val_score: n_jobs=2 needs joblib; pip install "
                                          r"'autograd_core\[parallel\]'"):
        ml.cross_val_score(_krr, x, y, scoring=ml.mean_squared_error, n_jobs=2)
    with pytest.raises(ImportError, match=r"BaggingRegressor.fit: n_jobs=-1 needs joblib"):
        ml.BaggingRegressor(_krr, n_jobs=-1).fit(x, y)


def test_a_fitted_ensemble_pickles():
    import functools
    import pickle

    x, y = _data()
    # the kernel's x.T views made during fit would stop pickle; the members come back without them
    bag = ml.BaggingRegressor(functools.partial(ml.KernelRidge, kernel="rbf", alpha=0.1), 3, seed=0).fit(x, y)
    assert np.array_equal(pickle.loads(pickle.dumps(bag)).predict(x), bag.predict(x))


# ---------------------------------------------------------------------- the searches against scikit-learn


def _sk_folds(n, k, shuffle=False, seed=None):
    return [(np.sort(tr), va) for tr, va in ml.k_fold(n, k, shuffle, seed)]


@pytest.mark.parametrize("shuffle", [False, True])
def test_grid_search_over_kernel_ridge_matches_sklearn(shuffle):
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV, KFold

    x, y = _data(50)
    grid = [{"kernel": ["linear"], "alpha": [0.1, 1.0]},
            {"kernel": ["rbf"], "alpha": [0.01, 0.1, 1.0], "gamma": [0.3, 1.0, 3.0]}]
    ours = ml.GridSearchCV(ml.KernelRidge, grid, k=5, shuffle=shuffle, seed=7).fit(x, y)
    cv = _sk_folds(50, 5, True, 7) if shuffle else KFold(5)
    theirs = GridSearchCV(KernelRidge(), grid, cv=cv).fit(x, y)
    assert ours.best_params_ == theirs.best_params_ and ours.best_index_ == theirs.best_index_
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    for key in ("mean_test_score", "std_test_score", *(f"split{i}_test_score" for i in range(5))):
        np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key], rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(ours.cv_results_["rank_test_score"], theirs.cv_results_["rank_test_score"])
    np.testing.assert_array_equal(ours.cv_results_["param_gamma"].mask, theirs.cv_results_["param_gamma"].mask)
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-9)
    assert ours.n_splits_ == 5
    np.testing.assert_allclose(ours.predict(x[:5]).numpy(), theirs.predict(x[:5]), rtol=1e-8, atol=1e-10)
    assert ours.score(x, y) == pytest.approx(theirs.score(x, y), rel=1e-9)


def test_grid_search_of_a_classifier_with_a_metric_matches_sklearn():
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.neighbors import KNeighborsClassifier

    x, y = _classes(60, seed=9)
    grid = {"n_neighbors": [1, 3, 5, 9], "weights": ["uniform", "distance"]}
    ours = ml.GridSearchCV(ml.KNeighborsClassifier, grid, k=4, scoring=ml.accuracy_score).fit(x, y)
    theirs = GridSearchCV(KNeighborsClassifier(algorithm="brute"), grid, cv=KFold(4), scoring="accuracy").fit(x, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(ours.cv_results_["rank_test_score"], theirs.cv_results_["rank_test_score"])
    assert ours.best_params_ == theirs.best_params_  # ties: the first candidate in grid order, in both
    np.testing.assert_array_equal(ours.classes_, [0, 1, 2])
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x))
    assert ours.score(x, y) == theirs.score(x, y)


def test_parameter_grid_matches_sklearn():
    from sklearn.model_selection import ParameterGrid

    for grid in ({"b": [1, 2], "a": ["x", "y", "z"]}, [{"a": [1]}, {}, {"c": np.array([0.5, 1.5]), "a": [2, 3]}],
                 {}):
        ours, theirs = ml.ParameterGrid(grid), ParameterGrid(grid)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert [ours[i] for i in range(len(ours))] == list(theirs)
    assert ml.ParameterGrid({"a": [1, 2]})[-1] == {"a": 2}
    with pytest.raises(IndexError, match="index 2 out of range for 2 candidates"):
        ml.ParameterGrid({"a": [1, 2]})[2]


def test_parameter_sampler_draws_distinct_grid_points_or_from_distributions():
    space = {"alpha": [0.1, 1.0, 10.0], "kernel": ["rbf", "linear"]}
    drawn = list(ml.ParameterSampler(space, 4, seed=0))
    assert len(drawn) == 4 and len({tuple(sorted(d.items())) for d in drawn}) == 4
    assert all(d in list(ml.ParameterGrid(space)) for d in drawn)
    assert drawn == list(ml.ParameterSampler(space, 4, seed=0)) != list(ml.ParameterSampler(space, 4, seed=1))
    with pytest.warns(UserWarning, match="the grid has 6 points, fewer than n_iter=9; running 6"):
        assert len(list(ml.ParameterSampler(space, 9, seed=0))) == 6
    mixed = list(ml.ParameterSampler({"alpha": loguniform(1e-3, 1e-1), "gamma": [1, 2]}, 50, seed=0))
    alphas = np.array([d["alpha"] for d in mixed])
    assert np.all((1e-3 <= alphas) & (alphas <= 1e-1)) and len(np.unique(alphas)) == 50
    assert {d["gamma"] for d in mixed} == {1, 2}
    assert len(ml.ParameterSampler(space, 9)) == 6 and len(ml.ParameterSampler({"a": loguniform(1, 2)}, 9)) == 9


def test_randomized_search_scores_are_cross_val_scores_and_match_sklearn_on_the_same_candidates():
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV

    x, y = _data(45, seed=2)
    space = {"alpha": loguniform(1e-3, 1.0), "gamma": loguniform(0.1, 3.0), "kernel": ["rbf"]}
    ours = ml.RandomizedSearchCV(ml.KernelRidge, space, n_iter=6, k=3, shuffle=True, seed=11).fit(x, y)
    params = ours.cv_results_["params"]
    assert len(params) == 6 and params == list(ml.ParameterSampler(space, 6, seed=11))
    for p, mean in zip(params, ours.cv_results_["mean_test_score"]):
        per_fold = ml.cross_val_score(lambda p=p: ml.KernelRidge(**p), x, y, k=3, scoring=None, shuffle=True, seed=11)
        assert mean == np.mean(per_fold)
    theirs = GridSearchCV(KernelRidge(), [{k: [v] for k, v in p.items()} for p in params],
                          cv=_sk_folds(45, 3, True, 11)).fit(x, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"],
                               rtol=1e-8, atol=1e-10)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == max(ours.cv_results_["mean_test_score"])


# ---------------------------------------------------------------------- bagging


def test_bagging_without_resampling_is_the_base_estimator():
    from sklearn.ensemble import BaggingClassifier, BaggingRegressor
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import LogisticRegression

    x, y = _data()
    base = _krr(alpha=0.1, gamma=0.7).fit(x, y).predict(x).numpy()
    one = ml.BaggingRegressor(lambda: _krr(alpha=0.1, gamma=0.7), 1, bootstrap=False, max_samples=1.0).fit(x, y)
    assert np.array_equal(one.predict(x), base)
    np.testing.assert_array_equal(one.estimators_samples_[0], np.arange(40))
    three = ml.BaggingRegressor(_krr(alpha=0.1, gamma=0.7), 3, bootstrap=False, seed=0).fit(x, y)
    np.testing.assert_allclose(three.predict(x), base, rtol=1e-13, atol=1e-15)
    theirs = BaggingRegressor(KernelRidge(alpha=0.1, kernel="rbf", gamma=0.7), 3, bootstrap=False,
                              random_state=0).fit(x, y)
    np.testing.assert_allclose(three.predict(x), theirs.predict(x), rtol=1e-7, atol=1e-9)
    assert three.score(x, y) == pytest.approx(theirs.score(x, y), rel=1e-8)
    xc, yc = _classes(seed=3)
    clf = ml.BaggingClassifier(ml.LogisticRegression, 2, bootstrap=False).fit(xc, yc)
    np.testing.assert_allclose(clf.predict_proba(xc), ml.LogisticRegression().fit(xc, yc).predict_proba(xc).numpy(),
                               rtol=1e-13, atol=1e-15)
    sk_clf = BaggingClassifier(LogisticRegression(tol=1e-12, max_iter=10000), 2, bootstrap=False,
                               random_state=0).fit(xc, yc)
    np.testing.assert_allclose(clf.predict_proba(xc), sk_clf.predict_proba(xc), atol=1e-6)
    np.testing.assert_array_equal(clf.predict(xc), sk_clf.predict(xc))


def test_bagging_regressor_is_the_mean_of_members_fitted_on_the_drawn_rows():
    x, y = _data(50)
    bag = ml.BaggingRegressor(lambda: _krr(alpha=0.05), 7, max_samples=0.6, seed=3).fit(x, y)
    assert len(bag.estimators_samples_) == 7 and all(len(s) == 30 for s in bag.estimators_samples_)
    assert any(len(np.unique(s)) < 30 for s in bag.estimators_samples_)  # with replacement
    xq = x[:9] + 0.1
    members = [_krr(alpha=0.05).fit(x[s], y[s]).predict(xq).numpy() for s in bag.estimators_samples_]
    assert np.array_equal(bag.predict(xq), np.mean(np.stack(members), 0))
    assert bag.score(x, y) == pytest.approx(ml.r2_score(y, bag.predict(x)), rel=1e-15)
    again = ml.BaggingRegressor(_krr(alpha=0.05), 7, max_samples=0.6, seed=3).fit(x, y)  # a prototype, copied
    assert np.array_equal(again.predict(xq), bag.predict(xq))
    assert not hasattr(again.estimator, "dual_coef_")
    subsets = ml.BaggingRegressor(_krr, 4, max_samples=20, bootstrap=False, seed=1).fit(x, y).estimators_samples_
    assert all(len(np.unique(s)) == 20 and np.all(np.diff(s) > 0) for s in subsets)


def test_bagging_classifier_soft_and_hard_votes():
    rng = np.random.default_rng(5)
    x, y = _classes(40, k=2, seed=4)
    x, y = np.concatenate([x, rng.standard_normal((2, 2)) + 4.0]), np.concatenate([y, [2, 2]])  # a rare class
    bag = ml.BaggingClassifier(lambda: ml.LogisticRegression(C=1.0), 6, max_samples=0.5, seed=0).fit(x, y)
    np.testing.assert_array_equal(bag.classes_, [0, 1, 2])
    assert any(2 not in m.classes_ for m in bag.estimators_)  # some members never saw class 2
    expected = np.zeros((len(x), 3))
    for m in bag.estimators_:
        expected[:, np.searchsorted(bag.classes_, m.classes_)] += m.predict_proba(x).numpy()
    proba = bag.predict_proba(x)
    np.testing.assert_allclose(proba, expected / 6, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(bag.predict(x), bag.classes_[np.argmax(proba, 1)])
    assert bag.score(x, y) == ml.accuracy_score(y, bag.predict(x))
    hard = ml.BaggingClassifier(_Centroid, 5, seed=1).fit(x, y)
    votes = np.stack([m.predict(x) for m in hard.estimators_])
    np.testing.assert_array_equal(hard.predict_proba(x), np.stack([(votes == c).mean(0) for c in [0, 1, 2]], 1))


# ---------------------------------------------------------------------- errors


_ENTRY_POINTS = {
    "cross_val_score": lambda x, y, nj: ml.cross_val_score(_krr, x, y, n_jobs=nj),
    "bootstrap_ci": lambda x, y, nj: ml.bootstrap_ci(_krr, x, y, x, n_jobs=nj),
    "BaggingRegressor": lambda x, y, nj: ml.BaggingRegressor(_krr, n_jobs=nj),
    "BaggingClassifier": lambda x, y, nj: ml.BaggingClassifier(_krr, n_jobs=nj),
    "GridSearchCV": lambda x, y, nj: ml.GridSearchCV(_krr, {"alpha": [1.0]}, n_jobs=nj),
    "RandomizedSearchCV": lambda x, y, nj: ml.RandomizedSearchCV(_krr, {"alpha": [1.0]}, n_jobs=nj),
}


@pytest.mark.parametrize("name", list(_ENTRY_POINTS))
def test_bad_n_jobs_is_refused_by_name(name):
    x, y = _data(10)
    for bad in ("2", 2.0, True):
        with pytest.raises(TypeError, match=rf"{name}: n_jobs must be None or an int .* got {type(bad).__name__}"):
            _ENTRY_POINTS[name](x, y, bad)
    with pytest.raises(ValueError, match=rf"{name}: n_jobs=0 has no meaning; pass None or 1"):
        _ENTRY_POINTS[name](x, y, 0)


def test_search_errors():
    x, y = _data(10)
    with pytest.raises(ValueError, match=r"GridSearchCV: the parameter grid is an empty list; pass a dict"):
        ml.GridSearchCV(_krr, [])
    with pytest.raises(ValueError, match=r"GridSearchCV: the values for 'alpha' are an empty sequence"):
        ml.GridSearchCV(_krr, {"alpha": []})
    with pytest.raises(ValueError, match=r"ParameterGrid: the parameter grid is an empty list"):
        ml.ParameterGrid([])
    with pytest.raises(ValueError, match="ParameterSampler: n_iter must be an int >= 1, got 2.5"):
        ml.ParameterSampler({"a": [1]}, 2.5)
    with pytest.raises(TypeError, match=r"the values for 'alpha' must be a list or a 1-D array, got float 0\.1; "
                                        r"wrap a single value in a list: \{'alpha': \[0\.1\]\}"):
        ml.GridSearchCV(_krr, {"alpha": 0.1})
    with pytest.raises(TypeError, match=r"the values for 'kernel' must be a list"):
        ml.GridSearchCV(ml.KernelRidge, {"kernel": "rbf"})
    with pytest.raises(TypeError, match="each parameter grid must be a dict, got str"):
        ml.GridSearchCV(_krr, ["alpha"])
    with pytest.raises(TypeError, match="must be a list, a 1-D array or a distribution with rvs, got int 3"):
        ml.RandomizedSearchCV(_krr, {"alpha": 3})
    with pytest.raises(ValueError, match="RandomizedSearchCV: n_iter must be an int >= 1, got 0"):
        ml.RandomizedSearchCV(_krr, {"alpha": [1.0]}, n_iter=0)
    with pytest.raises(TypeError, match="GridSearchCV: make_estimator must be a callable"):
        ml.GridSearchCV(_krr(), {"alpha": [1.0]})
    with pytest.raises(TypeError, match=r"scoring must be None or a function scoring\(y_true, y_pred\)"):
        ml.GridSearchCV(_krr, {"alpha": [1.0]}, scoring="r2")
    search = ml.GridSearchCV(_krr, {"alpha": [1.0]}, k=2)
    with pytest.raises(RuntimeError, match=r"GridSearchCV.predict: call fit\(X, y\) first"):
        search.predict(x)
    search.refit = False
    with pytest.raises(RuntimeError, match="refit=False keeps no best_estimator_"):
        search.fit(x, y).predict(x)
    assert search.best_params_ == {"alpha": 1.0}


def test_bagging_errors():
    x, y = _data(40)
    with pytest.raises(ValueError, match="BaggingRegressor: n_estimators must be an int >= 1, got 0"):
        ml.BaggingRegressor(_krr, 0)
    with pytest.raises(ValueError, match=r"BaggingClassifier: max_samples=1.5 as a fraction must be in \(0, 1\]"):
        ml.BaggingClassifier(ml.LogisticRegression, max_samples=1.5)
    with pytest.raises(TypeError, match="max_samples must be an int .* got str"):
        ml.BaggingRegressor(_krr, max_samples="all")
    with pytest.raises(ValueError, match=r"BaggingRegressor.fit: max_samples=100 gives 100 rows per member, but it "
                                         r"must be between 1 and the 40 training samples"):
        ml.BaggingRegressor(_krr, max_samples=100).fit(x, y)
    with pytest.raises(ValueError, match="max_samples=0.01 gives 0 rows per member"):
        ml.BaggingRegressor(_krr, max_samples=0.01).fit(x, y)
    with pytest.raises(TypeError, match="estimator must be a zero-argument factory .* got int"):
        ml.BaggingRegressor(3)
    with pytest.raises(ValueError, match="BaggingRegressor.fit: X has 40 samples but y has 39"):
        ml.BaggingRegressor(_krr).fit(x, y[:-1])
    with pytest.raises(RuntimeError, match=r"BaggingClassifier.predict_proba: call fit\(X, y\) first"):
        ml.BaggingClassifier(ml.LogisticRegression).predict(x)
