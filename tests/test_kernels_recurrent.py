"""The fused LSTM step kernels, their float32 sigmoid/tanh, the row scatter-add, and the BLAS thread chooser.

The compiled float32 activations are checked against float64 numpy (the correctly rounded value to within
float64's error) in ulps of the float32 result; the step kernels against their numpy twins; the chooser
with a fake BLAS and a fake clock.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from autograd_core.kernels import recurrent as R
from autograd_core.kernels import scatter as S

from autograd_core import _blas


@numba.njit
def _apply(which, x, out):
    for k in range(x.size):
        out[k] = R._sigmoid32(x[k]) if which == 0 else R._tanh32(x[k])


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in units of the float32 spacing at the exact value (denormal spacing below the normals)."""
    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / spacing


def _dense_float32(lo: float, hi: float, n: int) -> np.ndarray:
    """n float32 values spread over [lo, hi], plus every float32 in the 4096 ulps around 0 and +-1."""
    rng = np.random.default_rng(0)
    x = rng.uniform(lo, hi, n).astype(np.float32)
    near = [np.arange(-2048, 2048, dtype=np.int32).view(np.float32)]  # tiny and denormal values of both signs
    for c in (1.0, -1.0, 0.5, -0.5):
        bits = np.float32(c).view(np.int32) + np.arange(-2048, 2048, dtype=np.int32)
        near.append(bits.view(np.float32))
    return np.concatenate([x, *near])


@pytest.mark.parametrize("which", ["sigmoid", "tanh"])
def test_float32_activations_are_within_3_ulps_of_the_exact_values(which):
    x = _dense_float32(-30.0, 30.0, 2_000_000)
    x = x[np.isfinite(x)]
    out = np.empty_like(x)
    _apply(0 if which == "sigmoid" else 1, x, out)
    x64 = x.astype(np.float64)
    exact = 1.0 / (1.0 + np.exp(-x64)) if which == "sigmoid" else np.tanh(x64)
    err = _ulps(out, exact)
    worst = int(np.argmax(err))
    assert err.max() <= 3.0, f"{which}({x[worst]!r}) = {out[worst]!r}, exact {exact[worst]!r}: {err.max():.1f} ulps"
    # and the symmetric and limiting values: tanh odd (its sign kept at -0), sigmoid(0) = 1/2
    if which == "tanh":
        neg = np.empty_like(x)
        _apply(1, -x, neg)
        np.testing.assert_array_equal(neg, -out)


@pytest.mark.parametrize("which", ["sigmoid", "tanh"])
def test_float32_activations_at_special_values_match_numpy(which):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 88.0, -88.0, 89.5, -89.5, 1e4, -1e4, 3e38, -3e38,
                  1e-45, -1e-45], np.float32)
    out = np.empty_like(x)
    _apply(0 if which == "sigmoid" else 1, x, out)
    with np.errstate(over="ignore"):
        ref = (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32) if which == "sigmoid" else np.tanh(x)
    assert np.isnan(out[0])
    np.testing.assert_allclose(out[1:], ref[1:], rtol=3e-7, atol=1e-37)  # below 1e-37: both are "0"
    np.testing.assert_array_equal(np.signbit(out[1:]), np.signbit(ref[1:]))


def _step_inputs(rng, dtype, n_rows, batch, hid):
    g = lambda *s: (rng.standard_normal(s) * 2).astype(dtype)  # noqa: E731
    return g(n_rows, 4 * hid), g(n_rows, 4 * hid), g(4 * hid), g(batch, hid)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("off,n,batch,hid", [(0, 3, 3, 5), (6, 2, 3, 7), (3, 3, 3, 1), (12, 4, 4, 33)])
def test_lstm_step_kernels_match_their_numpy_twins(dtype, off, n, batch, hid):
    rng = np.random.default_rng(hid + off)
    n_rows = off + n + 2
    gates, gx, b, c = _step_inputs(rng, dtype, n_rows, batch, hid)
    results = []
    for fwd in (R.lstm_forward_step, R.lstm_forward_step_np):
        bufs = [gates.copy(), c.copy()] + [np.full((n_rows, hid), 7.0, dtype) for _ in range(3)]
        fwd(bufs[0], gx, b, off, n, bufs[1], bufs[2], bufs[3], bufs[4])
        results.append(bufs)
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, **tol)
    # rows outside the step are untouched
    np.testing.assert_array_equal(results[0][2][:off], 7.0)
    np.testing.assert_array_equal(results[0][1][n:], c[n:])

    act, _, cp, tc, _ = results[1]
    dhs, dh, dc = (rng.standard_normal(s).astype(dtype) for s in ((n_rows, hid), (batch, hid), (batch, hid)))
    back = []
    for bwd in (R.lstm_backward_step, R.lstm_backward_step_np):
        dc_, dg = dc.copy(), np.zeros((n_rows, 4 * hid), dtype)
        bwd(act, tc, cp, dhs, off, n, dh, dc_, dg)
        back.append((dc_, dg))
    for got, want in zip(*back):
        np.testing.assert_allclose(got, want, **tol)
    # the twin is the chain rule: check one element of dg_o and dc against the formulas
    r, j = n - 1, hid - 1
    d = dh[r, j] + dhs[off + r, j]
    o, f, t = act[off + r, 3 * hid + j], act[off + r, hid + j], tc[off + r, j]
    np.testing.assert_allclose(back[1][1][off + r, 3 * hid + j], d * t * o * (1 - o), rtol=1e-5)
    np.testing.assert_allclose(back[1][0][r, j], (dc[r, j] + d * o * (1 - t * t)) * f, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_index_add_rows_accumulates_repeats_and_negative_indices_as_add_at(dtype):
    rng = np.random.default_rng(3)
    idx = np.array([0, 4, -1, 4, 2, -5, 0, 0], np.int64)  # -1 is row 4, -5 row 0: repeats across signs
    g = rng.standard_normal((idx.size, 3, 2)).astype(dtype)
    want = np.zeros((5, 3, 2), dtype)
    np.add.at(want, idx, g)
    for it in (np.int64, np.int32):
        out = np.zeros((5, 3, 2), dtype)
        S.index_add_rows_numba(out, idx.astype(it), g)
        np.testing.assert_allclose(out, want, rtol=1e-6)
    out = np.zeros((5, 3, 2), dtype)
    S.index_add_rows_numba(out, idx, np.asfortranarray(g))  # not C-contiguous: numpy's path, same result
    np.testing.assert_allclose(out, want, rtol=1e-6)


class _FakeBlas:
    """OpenBLAS's get/set thread count, recorded."""

    def __init__(self, pool):
        self.n, self.calls = pool, []

    def get(self):
        return self.n

    def set(self, n):
        self.calls.append(n)
        self.n = n


@pytest.fixture
def fake(monkeypatch):
    blas = _FakeBlas(2)
    monkeypatch.setattr(_blas, "_API", [(blas.get, blas.set)])
    monkeypatch.setattr(_blas, "_TIMES", {})
    return blas


def _loop(blas, monkeypatch, seconds_by_threads, key=("k",), count=10):
    """One small_products block whose duration depends on the threads it ran with; returns those threads."""
    clock = [0.0]
    monkeypatch.setattr(_blas.time, "perf_counter", lambda: clock[0])
    with _blas.small_products(key, count):
        used = blas.n
        clock[0] += seconds_by_threads[used] * count
    assert blas.n == 2, "the pool's size is restored after the block"
    return used


def test_small_products_tries_both_settings_then_keeps_the_faster_and_probes_the_other(fake, monkeypatch):
    fast_pool = {1: 130e-6, 2: 90e-6}
    used = [_loop(fake, monkeypatch, fast_pool) for _ in range(2 + 2 * _blas._PROBE_EVERY)]
    assert used[:2] == [1, 2]  # each once
    later = used[2:]
    assert later.count(1) == 2 and later.count(2) == len(later) - 2  # the pool, with a one-thread probe every 8
    # the load changes: the pool becomes slow; the chooser follows within a loop or two
    slow_pool = {1: 130e-6, 2: 1200e-6}
    used = [_loop(fake, monkeypatch, slow_pool) for _ in range(12)]
    assert used[-8:].count(1) >= 7, used
    # and back: an idle machine is noticed at the next probe
    used = [_loop(fake, monkeypatch, fast_pool) for _ in range(3 * _blas._PROBE_EVERY)]
    assert used[-_blas._PROBE_EVERY:].count(2) >= _blas._PROBE_EVERY - 1, used


def test_small_products_nested_blocks_and_errors_time_nothing(fake, monkeypatch):
    with _blas.small_products(("outer",), 3):
        assert fake.n == 1  # the first loop of a kind runs on one thread
        with _blas.small_products(("inner",), 3):
            assert fake.n == 1  # nested: runs under the outer block's setting
    assert "inner" not in {k[0] for k in _blas._TIMES}
    assert _blas._TIMES[("outer",)][0] is not None
    with pytest.raises(ZeroDivisionError), _blas.small_products(("err",), 3):
        raise ZeroDivisionError
    assert _blas._TIMES[("err",)] == [None, None, 0] and fake.n == 2


def test_small_products_with_a_pool_of_one_never_switches(monkeypatch):
    blas = _FakeBlas(1)
    monkeypatch.setattr(_blas, "_API", [(blas.get, blas.set)])
    monkeypatch.setattr(_blas, "_TIMES", {})
    for _ in range(3):
        with _blas.small_products(("k",), 1):
            assert blas.n == 1
    assert blas.calls == [] and _blas._TIMES == {}
