"""numba kernels vs their numpy twins, backend switching, NaN propagation, bad input, higher order."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import autograd_core.nn.functional as F
import numpy as np
import pytest
from autograd_core.kernels import conv, pool

import autograd_core as ag
from autograd_core import kernels
from autograd_core.ops.conv import out_size

ROOT = Path(__file__).resolve().parents[1]
DTYPES = [np.float32, np.float64]

# (kh, kw, sh, sw, dh, dw) on a padded 7x6 plane: odd sizes, strides that do not divide, dilation
# (kh, kw, sh, sw, ph, pw, dh, dw): padding is implicit in im2col/col2im, including pads wider than a stride
CONV_GEOMS = [(3, 2, 1, 2, 0, 0, 1, 1), (2, 2, 2, 2, 1, 1, 1, 1), (3, 3, 1, 1, 2, 1, 2, 1), (1, 1, 3, 2, 0, 2, 1, 1),
              (4, 3, 2, 1, 1, 2, 1, 2), (5, 5, 1, 1, 2, 2, 1, 1), (3, 3, 3, 3, 4, 3, 1, 1)]
# (kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode)
POOL_GEOMS = [(2, 2, 2, 2, 0, 0, 1, 1, False), (3, 2, 2, 1, 1, 1, 1, 1, False), (3, 3, 2, 2, 1, 1, 1, 1, True),
              (2, 3, 3, 2, 0, 1, 2, 1, True), (1, 1, 1, 1, 0, 0, 1, 1, False), (3, 2, 2, 1, 0, 0, 2, 1, False),
              (2, 2, 2, 2, 0, 0, 1, 1, True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", [(2, 2, 2, 2, 0, 0, 1, 1), (3, 2, 2, 1, 0, 0, 2, 1), (2, 2, 1, 1, 1, 0, 1, 1)])
@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_max_pool_fast_paths_handle_nan_and_inf(dtype, geom, special):
    """The branch-free in-window kernels (2x2 and general) fall back to the NaN-aware one: same values
    and indices as the twin with NaN/inf planted, including a NaN that is not the window's first element."""
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    x = _data(dtype, (3, 2, 8, 7))
    x[0, 0, 2, 1] = special  # rows every window geometry here samples
    x[2, 1, 4, 3] = special
    x[1, 1, 0, 0] = -np.inf
    ho, wo = out_size(8, kh, sh, 2 * ph, dh), out_size(7, kw, sw, 2 * pw, dw)
    v1, i1 = pool.max_pool_forward_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    v2, i2 = pool.max_pool_forward_reference(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    np.testing.assert_array_equal(v1, v2)  # NaN == NaN positionally for assert_array_equal
    np.testing.assert_array_equal(i1, i2)
    if special != special:
        assert np.isnan(v1[0, 0]).any() and np.isnan(v1[2, 1]).any()


def _data(dtype, shape=(2, 3, 7, 6), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", CONV_GEOMS)
def test_im2col_col2im_match_twins(dtype, geom):
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    x = _data(dtype)
    ho, wo = out_size(7, kh, sh, 2 * ph, dh), out_size(6, kw, sw, 2 * pw, dw)
    a = conv.im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    b = conv.im2col_reference(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    assert a.dtype == dtype and a.shape == (3 * kh * kw, 2 * ho * wo)
    np.testing.assert_array_equal(a, b)
    # every element is written (padding included): an output buffer full of NaN comes back equal too
    filled = conv._im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, np.full(a.shape, np.nan, dtype))
    np.testing.assert_array_equal(filled, b)
    cols = _data(dtype, a.shape, seed=1)
    c1 = conv.col2im_numba(cols, 3, 7, 6, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    c2 = conv.col2im_reference(cols, 3, 7, 6, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    assert c1.dtype == dtype and c1.shape == x.shape
    # the result owns its memory, so the engine can store it as a .grad without a copy
    assert c1.base is None and c1.flags.c_contiguous
    np.testing.assert_allclose(c1, c2, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    # col2im is the adjoint of im2col: <im2col(x), cols> == <x, col2im(cols)>
    np.testing.assert_allclose(np.vdot(a.astype(np.float64), cols), np.vdot(x.astype(np.float64), c1), rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", POOL_GEOMS)
def test_pool_kernels_match_twins(dtype, geom):
    kh, kw, sh, sw, ph, pw, dh, dw, cm = geom
    x = _data(dtype)
    ho, wo = out_size(7, kh, sh, 2 * ph, dh, cm), out_size(6, kw, sw, 2 * pw, dw, cm)
    v1, i1 = pool.max_pool_forward_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    v2, i2 = pool.max_pool_forward_reference(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    assert v1.dtype == dtype and i1.dtype == np.int64
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(i1, i2)
    g = _data(dtype, v1.shape, seed=2)
    np.testing.assert_allclose(pool.max_pool_backward_numba(g, i1, 7, 6), pool.max_pool_backward_reference(g, i1, 7, 6),
                               rtol=1e-6)
    if (dh, dw) != (1, 1):
        return  # average pooling has no dilation
    for cip in (True, False):
        for div in (0, 5):
            a1 = pool.avg_pool_forward_numba(x, kh, kw, sh, sw, ph, pw, ho, wo, cip, div)
            a2 = pool.avg_pool_forward_reference(x, kh, kw, sh, sw, ph, pw, ho, wo, cip, div)
            assert a1.dtype == dtype
            np.testing.assert_allclose(a1, a2, rtol=1e-5, atol=1e-6)
            b1 = pool.avg_pool_backward_numba(g, 7, 6, kh, kw, sh, sw, ph, pw, cip, div)
            b2 = pool.avg_pool_backward_reference(g, 7, 6, kh, kw, sh, sw, ph, pw, cip, div)
            np.testing.assert_allclose(b1, b2, rtol=1e-5, atol=1e-6)


def test_parallel_equals_serial():
    import numba

    x = _data(np.float64, (8, 3, 9, 9))
    before = numba.get_num_threads()
    outs = []
    for threads in (1, before):
        numba.set_num_threads(threads)
        try:
            outs.append((conv.im2col_numba(x, 3, 3, 2, 2, 1, 1, 1, 1, 5, 5),
                         pool.max_pool_forward_numba(x, 3, 3, 2, 2, 1, 1, 1, 1, 5, 5)[0],
                         pool.avg_pool_backward_numba(x[:, :, :5, :5], 9, 9, 3, 3, 2, 2, 1, 1, True, 0)))
        finally:
            numba.set_num_threads(before)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def test_backend_switch_gives_same_results():
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((2, 2, 6, 6)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)

    def run():
        x.grad = w.grad = None
        y = F.max_pool2d(F.conv2d(x, w, padding=1, stride=2), 2)
        y = y + F.avg_pool2d(F.conv2d(x, w, padding=1), 3, 2)[..., :2, :2]
        y.sum().backward()
        return y.data, x.grad.data, w.grad.data

    assert kernels.backend() == "numba"
    fast = run()
    prev = kernels.use("reference")
    try:
        ref = run()
    finally:
        kernels.use(prev)
    for a, b in zip(fast, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        kernels.use("cuda")


def test_nan_propagates_through_conv_and_pools():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = np.nan
    t = ag.tensor(x)
    assert np.isnan(F.max_pool2d(t, 2).data[0, 0, 0, 1])
    assert np.isnan(F.avg_pool2d(t, 2).data[0, 0, 0, 1])
    assert np.isnan(F.conv2d(t, ag.ones(1, 1, 2, 2, dtype=ag.float64)).data[0, 0, 1, 1])
    assert np.isfinite(F.max_pool2d(t, 2).data[0, 0, 1, 0])


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (4, 3)])  # the wide and the narrow (N, C) BatchNorm kernels
def test_nan_propagates_through_batch_norm_per_channel(shape):
    x = np.random.default_rng(1).standard_normal(shape)
    x[(1, 0) + (2,) * (len(shape) - 2)] = np.nan
    xt, rm, rv = ag.tensor(x, requires_grad=True), ag.zeros(3, dtype=ag.float64), ag.ones(3, dtype=ag.float64)
    y = F.batch_norm(xt, rm, rv, training=True)
    y.backward(ag.ones(*shape, dtype=ag.float64))
    for a in (y.detach().numpy()[:, 0], xt.grad.numpy()[:, 0], rm.numpy()[:1], rv.numpy()[:1]):
        assert np.isnan(a).all()  # the NaN's channel: every output, gradient and running statistic
    for a in (y.detach().numpy()[:, 1:], xt.grad.numpy()[:, 1:], rm.numpy()[1:], rv.numpy()[1:]):
        assert np.isfinite(a).all()  # the other channels are untouched


def test_maxpool_third_order():
    # max pooling is piecewise linear: every derivative beyond the first is zero, but each order must run
    # (pool -> scatter -> gather -> scatter) and give exact values.
    x = ag.tensor(np.random.default_rng(4).permutation(32).reshape(1, 2, 4, 4).astype(np.float64), requires_grad=True)
    u = ag.tensor(np.random.default_rng(5).standard_normal((1, 2, 2, 2)), requires_grad=True)
    y = F.max_pool2d(x, 2)
    (gx,) = ag.grad(y, x, u, create_graph=True)  # scatter(u)
    v = ag.tensor(np.random.default_rng(6).standard_normal(x.shape), requires_grad=True)
    (gu,) = ag.grad(gx, u, v, create_graph=True)  # gather(v) at the argmax positions
    np.testing.assert_array_equal(gu.data, _gather(v.data, y.grad_fn.idx))
    (gv,) = ag.grad(gu, v, ag.ones_like(gu))  # scatter again
    np.testing.assert_array_equal(gv.data, _scatter(np.ones(gu.shape), y.grad_fn.idx, x.shape))


def _gather(a, idx):
    n, c = idx.shape[:2]
    return np.take_along_axis(a.reshape(n, c, -1), idx.reshape(n, c, -1), 2).reshape(idx.shape)


def _scatter(g, idx, shape):
    out = np.zeros((shape[0], shape[1], shape[2] * shape[3]))
    for n in range(idx.shape[0]):
        for c in range(idx.shape[1]):
            np.add.at(out[n, c], idx[n, c].ravel(), g[n, c].ravel())
    return out.reshape(shape)


def test_return_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).permutation(2 * 3 * 7 * 7).reshape(2, 3, 7, 7).astype(np.float32)
    y, idx = F.max_pool2d(ag.tensor(x), 3, 2, 1, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    np.testing.assert_array_equal(y.data, ty.numpy())


# ---------------------------------------------------------------------- bad input, checked in Python first
@pytest.mark.parametrize("call,pattern", [
    (lambda: F.conv2d(ag.ones(2, 3, 8, 8), ag.ones(4, 2, 3, 3)),
     r"Given groups=1, weight of size \[4, 2, 3, 3\], expected input\[2, 3, 8, 8\] to have 2 channels, but got 3"),
    (lambda: F.conv2d(ag.ones(2, 4, 8, 8), ag.ones(3, 2, 3, 3), groups=2),
     r"groups=2 must divide both in_channels \(4\) and out_channels \(3\)"),
    (lambda: F.conv2d(ag.ones(1, 1, 4, 4), ag.ones(1, 1, 5, 5)),
     r"Calculated padded input size per channel: \(4 x 4\). Kernel size: \(5 x 5\)"),
    (lambda: F.conv2d(ag.ones(1, 1, 1, 4, 4), ag.ones(1, 1, 3, 3)), r"expected a 4-D input"),
    (lambda: F.conv2d(ag.ones(1, 1, 4, 4), ag.ones(1, 1, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ag.ones(1, 1, 4, 4), ag.ones(1, 1, 3, 3, dtype=ag.float64)),
     r"Input type \(float32\) and weight type \(float64\) should be the same"),
    (lambda: F.max_pool2d(ag.ones(1, 1, 2, 2), 3), "Output size is too small"),
    (lambda: F.max_pool2d(ag.ones(1, 1, 8, 8), 2, padding=2), "pad should be at most half of effective kernel size"),
    (lambda: F.avg_pool2d(ag.ones(8, 8), 2), r"expected a 4-D input .* got shape \[8, 8\]"),
])
def test_bad_input_errors(call, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        call()


def test_kernels_run_without_jit():
    """The kernel bodies are plain Python under NUMBA_DISABLE_JIT=1 (coverage of the loops themselves)."""
    code = (
        "import numpy as np\n"
        "from autograd_core.kernels import conv, pool\n"
        "x = np.random.default_rng(0).standard_normal((1, 2, 5, 4))\n"
        "a = conv.im2col_numba(x, 2, 2, 1, 2, 1, 1, 1, 1, 6, 3)\n"
        "assert np.array_equal(a, conv.im2col_reference(x, 2, 2, 1, 2, 1, 1, 1, 1, 6, 3))\n"
        "assert np.allclose(conv.col2im_numba(a, 2, 5, 4, 2, 2, 1, 2, 1, 1, 1, 1, 6, 3),"
        " conv.col2im_reference(a, 2, 5, 4, 2, 2, 1, 2, 1, 1, 1, 1, 6, 3))\n"
        "v, i = pool.max_pool_forward_numba(x, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3)\n"
        "v2, i2 = pool.max_pool_forward_reference(x, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3)\n"
        "assert np.array_equal(v, v2) and np.array_equal(i, i2)\n"
        "assert np.allclose(pool.avg_pool_forward_numba(x, 2, 2, 2, 2, 1, 1, 3, 3, False, 0),"
        " pool.avg_pool_forward_reference(x, 2, 2, 2, 2, 1, 1, 3, 3, False, 0))\n"
        "assert np.allclose(pool.max_pool_backward_numba(v, i, 5, 4), pool.max_pool_backward_reference(v, i, 5, 4))\n"
        "assert np.allclose(pool.avg_pool_backward_numba(v, 5, 4, 2, 2, 2, 2, 1, 1, True, 0),"
        " pool.avg_pool_backward_reference(v, 5, 4, 2, 2, 2, 2, 1, 1, True, 0))\n"
        "from autograd_core.kernels import norm\n"
        "norm._STREAM_BYTES = 0\n"  # the streaming-store path too
        "x3, ga = x.reshape(1, 2, 20), np.array([0.5, 2.0])\n"
        "y, m, inv = norm.batch_norm_forward_numba(x3, ga, ga, 1e-5)\n"
        "assert np.allclose(y, norm.batch_norm_forward_reference(x3, ga, ga, 1e-5)[0])\n"
        "for a, b in zip(norm.batch_norm_backward_numba(y, x3, m, inv, ga),"
        " norm.batch_norm_backward_reference(y, x3, m, inv, ga)):\n"
        "    assert np.allclose(a, b)\n"
        "xn = x.reshape(4, 10, 1)\n"  # the narrow (N, C) kernels
        "y, m, inv = norm.batch_norm_forward_numba(xn, None, None, 1e-5)\n"
        "assert np.allclose(y, norm.batch_norm_forward_reference(xn, None, None, 1e-5)[0])\n"
        "for a, b in zip(norm.batch_norm_backward_numba(y, xn, m, inv, None),"
        " norm.batch_norm_backward_reference(y, xn, m, inv, None)):\n"
        "    assert np.allclose(a, b)\n"
        "print('ok')\n"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def test_warmup_and_environment_selection():
    # In a fresh process (here earlier tests may have compiled kernels already), warmup reaches every
    # parallel kernel of every kernel module: the narrow BatchNorm and all three max-pool forward kernels
    # included. Serial helpers are compiled into their callers (a cache load does not type them).
    code = (
        "from numba.core.registry import CPUDispatcher\n"
        "from autograd_core import kernels\n"
        "from autograd_core.kernels import conv, norm, optim, pool, special\n"
        "kernels.warmup(('float64',))\n"
        "missed = [f'{m.__name__}.{k}' for m in (conv, norm, optim, pool, special) for k, f in vars(m).items()\n"
        "          if isinstance(f, CPUDispatcher) and f.targetoptions.get('parallel') and not f.signatures]\n"
        "print('missed', missed)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.stdout.strip() == "missed []", r.stdout + r.stderr[-2000:]
    code = "from autograd_core import kernels; print(kernels.backend())"
    env = dict(os.environ, AUTOGRAD_CORE_KERNELS="reference")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "reference", r.stderr
    env["AUTOGRAD_CORE_KERNELS"] = "fortran"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "AUTOGRAD_CORE_KERNELS='fortran' is not a kernel backend" in r.stderr


@pytest.mark.parametrize("dtype", DTYPES)
# (9, 2, 2500): the spatial size spans three column blocks of the kernels' partial sums, the last one partial,
# and the batch two groups of four rows (summed together) plus one; (3, 4, 13) has no full group of four.
# Fewer than 8 columns per channel take the narrow kernels: (6, 200, 1) splits its columns over three
# tasks, and in (5, 45, 3) the task boundary (column 67) falls inside channel 22.
@pytest.mark.parametrize("shape", [(5, 3, 1), (6, 200, 1), (5, 45, 3), (4, 2, 9), (3, 4, 13), (7, 3, 11),
                                   (9, 2, 2500)])
@pytest.mark.parametrize("offset", [0.0, 1e3])
@pytest.mark.parametrize("stream", [False, True])
def test_batch_norm_kernels_match_twins(dtype, shape, offset, stream, monkeypatch):
    from autograd_core.kernels import norm

    # stream: every output is written with streaming stores (normally only those of 2 MiB and more)
    monkeypatch.setattr(norm, "_STREAM_BYTES", 0 if stream else 1 << 62)

    x = _data(dtype, shape) + dtype(offset)  # a large common offset tests the shifted one-pass variance
    gamma, beta = np.linspace(0.5, 1.5, shape[1]), np.linspace(-1, 1, shape[1])
    stats = [np.linspace(-1, 1, shape[1]).astype(dtype) for _ in range(4)]  # running mean/var, one copy per backend
    y1, m1, i1 = norm.batch_norm_forward_numba(x, gamma, beta, 1e-5, stats[0], stats[1], 0.25)
    y2, m2, i2 = norm.batch_norm_forward_reference(x, gamma, beta, 1e-5, stats[2], stats[3], 0.25)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert y1.dtype == dtype
    # y = (x - mean) * a + c in x's dtype, with x - mean exact for float32 near the mean: accurate to
    # float32's precision relative to y, even with the 1e3 offset (x * a + c would lose ~eps32 * |x| * a)
    np.testing.assert_allclose(y1, y2, rtol=tol, atol=tol)
    np.testing.assert_allclose(m1, m2, rtol=1e-12)
    np.testing.assert_allclose(i1, i2, rtol=1e-9)
    # running statistics, updated in place: r = 0.75 r + 0.25 s, unbiased variance
    m = shape[0] * shape[2]
    var = ((x.astype(np.float64) - m2[None, :, None]) ** 2).mean(axis=(0, 2))
    expect_mean = 0.75 * np.linspace(-1, 1, shape[1]) + 0.25 * m2
    expect_var = 0.75 * np.linspace(-1, 1, shape[1]) + 0.25 * var * m / (m - 1)
    for got, want in ((stats[0], expect_mean), (stats[2], expect_mean), (stats[1], expect_var), (stats[3], expect_var)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * (1 + abs(offset)))
    g = _data(dtype, shape, seed=9)
    for a, b in zip(norm.batch_norm_backward_numba(g, x, m1, i1, gamma),
                    norm.batch_norm_backward_reference(g, x, m1, i1, gamma)):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol * 10, atol=tol * 10)


def test_fma_rounds_once_in_compiled_code():
    """_llvm.fma is one fused multiply-add inside kernels (the BatchNorm sums use it) and a * b + c in Python."""
    from autograd_core.kernels import _llvm
    from numba import njit

    a, b = 1.0 + 2.0**-30, 1.0 - 2.0**-30  # a * b = 1 - 2**-60 exactly, which rounds to 1.0 in float64
    fused = njit(lambda a, b, c: _llvm.fma(a, b, c))
    assert fused(a, b, -1.0) == -(2.0**-60)
    assert _llvm.fma(a, b, -1.0) == 0.0  # the interpreted fallback rounds the product first
    a32, b32 = np.float32(1 + 2.0**-13), np.float32(1 - 2.0**-13)  # float32: a * b = 1 - 2**-26 -> 1.0
    assert a32 * b32 == np.float32(1.0)
    assert fused(a32, b32, np.float32(-1.0)) == np.float32(-(2.0**-26))
    with pytest.raises(Exception, match="fma"):  # mixed precisions are not silently promoted
        fused(a32, 1.0, -1.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stream_copy_writes_exactly_the_range(dtype):
    """Streaming copies: every destination offset (the 16-byte boundary falls anywhere), lengths around the
    vector width, source and destination unaligned; nothing outside dst[start:start + n] is touched."""
    from autograd_core.kernels import _llvm
    from numba import njit

    @njit
    def copy(dst, start, src, n):
        _llvm.stream_copy(dst, start, src, n)
        _llvm.store_fence()

    base_src = np.arange(1, 202, dtype=dtype)
    for src in (base_src[:200], base_src[1:]):
        for start in range(7):
            for n in (0, 1, 3, 4, 5, 8, 17, 100):
                for impl in (copy, _llvm.stream_copy):
                    dst = np.full(201, -1.0, dtype=dtype)[1:]  # dst itself starts off a 16-byte boundary
                    impl(dst, start, src, n)
                    want = np.full(200, -1.0, dtype=dtype)
                    want[start:start + n] = src[:n]
                    np.testing.assert_array_equal(dst, want)
    if platform.machine() in ("x86_64", "AMD64"):  # the compiled loop really uses non-temporal stores
        asm = copy.inspect_asm(copy.signatures[0])
        assert "movntp" in asm and "sfence" in asm


@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_batch_norm_kernels_without_affine_or_running_stats(backend):
    """gamma/beta None mean 1 and 0; running statistics None are not tracked; a running statistic of
    another dtype or layout than x is still updated (through a converted copy written back)."""
    from autograd_core.kernels import norm

    fwd, bwd = norm.NUMBA["batch_norm_forward"], norm.NUMBA["batch_norm_backward"]
    if backend == "reference":
        fwd, bwd = norm.REFERENCE["batch_norm_forward"], norm.REFERENCE["batch_norm_backward"]
    x = _data(np.float32, (4, 3, 10))
    ones, zeros = np.ones(3), np.zeros(3)
    y0, m0, i0 = fwd(x, ones, zeros, 1e-5)
    y1, m1, i1 = fwd(x, None, None, 1e-5)
    np.testing.assert_array_equal(y0, y1)
    rm = np.zeros(6)[::2]  # float64 and strided while x is float32
    fwd(x, None, None, 1e-5, rm, None, 0.5)
    np.testing.assert_allclose(rm, 0.5 * m0, rtol=1e-6)
    g = _data(np.float32, (4, 3, 10), seed=3)
    for a, b in zip(bwd(g, x, m0, i0, None), bwd(g, x, m0, i0, ones)):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_running_stats_match_torch_over_steps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    rm, rv = ag.zeros(3), ag.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 5)).astype(np.float32) * 2 + 1
        F.batch_norm(ag.tensor(x), rm, rv, training=True, momentum=0.1)
        torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm.data, trm.numpy(), rtol=1e-5)
    np.testing.assert_allclose(rv.data, trv.numpy(), rtol=1e-5)
    assert rm._version == 3


def test_batch_norm_constant_channel_is_finite_and_errors():
    x = ag.ones(4, 2, 3, requires_grad=True)
    y = F.batch_norm(x, None, None, training=True)
    y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"\[1, 3\]"):
        F.batch_norm(ag.ones(1, 3), ag.zeros(3), ag.ones(3), training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements .* not 4"):
        F.batch_norm(ag.ones(2, 3), ag.zeros(4), ag.ones(3), training=True)
    with pytest.raises(ValueError, match="expected 2D, 3D or 4D input"):
        F.batch_norm(ag.ones(3), None, None, training=True)


def test_dropout_is_inverted_and_seeded():
    x = ag.ones(1000, requires_grad=True)
    ag.manual_seed(0)
    y = F.dropout(x, p=0.25)
    kept = y.detach().numpy() != 0
    assert 0.65 < kept.mean() < 0.85
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, y.data)
    ag.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=0.25).data, y.data)
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


def test_thread_defaults_are_set_and_overridable():
    code = ("import os, autograd_core\n"
            "print(os.environ['OPENBLAS_THREAD_TIMEOUT'], os.environ['OMP_WAIT_POLICY'], "
            "os.environ.get('GOMP_SPINCOUNT'))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["4", "passive", "2000"], r.stderr
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "GOMP_SPINCOUNT": "7"},
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["4", "passive", "7"], r.stderr  # the user's spin count is kept
    env["OMP_WAIT_POLICY"] = "active"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["4", "active", "None"], r.stderr  # the user's own policy: no spin count added
    env["AUTOGRAD_CORE_THREAD_TUNING"] = "0"
    code = "import os, autograd_core; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "None", r.stderr


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [7, 1 << 15])  # the serial and the parallel kernel
@pytest.mark.parametrize("opts", [(0.0, 0.0, 0.0, False, False), (0.9, 0.1, 0.01, False, False),
                                  (0.8, 0.0, 0.0, True, True), (0.0, 0.0, 0.05, False, True)])
def test_fused_sgd_step_matches_twin(dtype, size, opts):
    from autograd_core.kernels import optim as kopt

    mu, damp, wd, nesterov, maximize = opts
    rng = np.random.default_rng(0)
    p, g, b = (rng.standard_normal(size).astype(dtype) for _ in range(3))
    for first in (True, False):
        p1, b1, p2, b2 = p.copy(), b.copy(), p.copy(), b.copy()
        kopt.sgd_step_numba(p1, g, b1, 0.1, mu, damp, wd, nesterov, maximize, first)
        kopt.sgd_step_reference(p2, g, b2, 0.1, mu, damp, wd, nesterov, maximize, first)
        tol = 1e-6 if dtype == np.float32 else 1e-14
        np.testing.assert_allclose(p1, p2, rtol=tol, atol=tol)
        if mu:
            np.testing.assert_allclose(b1, b2, rtol=tol, atol=tol)
        assert not np.array_equal(p1, p)  # the update happened in place


# ---------------------------------------------------------------------- regressions of the fidelity issue
def test_im2col_span_past_the_output_does_not_overrun_into_the_next_image():
    """Every geometry on planes of 1-3 pixels (batch 2): a window whose taps all read padding on one axis
    made im2col's first in-range column lie past the output row, and zeroing that margin overwrote the
    next image's columns (conv2d and both weight gradients lost image 0). Numba == twin everywhere."""
    x = _data(np.float64, (2, 2, 3, 3))
    for h, w, kh, kw, ph, pw, dh, dw, s in np.ndindex(3, 3, 3, 3, 3, 3, 2, 2, 2):
        h, w, kh, kw, dh, dw, sh, sw = h + 1, w + 1, kh + 1, kw + 1, dh + 1, dw + 1, s + 1, s + 1
        ho, wo = out_size(h, kh, sh, 2 * ph, dh), out_size(w, kw, sw, 2 * pw, dw)
        if ho < 1 or wo < 1:
            continue
        args = (kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
        xs = np.ascontiguousarray(x[:, :, :h, :w])
        a = conv.im2col_numba(xs, *args)
        np.testing.assert_array_equal(a, conv.im2col_reference(xs, *args), err_msg=str((h, w) + args))
        np.testing.assert_allclose(conv.col2im_numba(a, 2, h, w, *args), conv.col2im_reference(a, 2, h, w, *args),
                                   rtol=1e-12, atol=1e-12, err_msg=str((h, w) + args))


def test_conv2d_keeps_image_zero_with_padding_and_dilation_like_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 1, 1, 1)), rng.standard_normal((2, 1, 1, 3))
    gy = rng.standard_normal((2, 2, 1, 1))
    xt, wt = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
    y = F.conv2d(xt, wt, padding=(0, 2), dilation=(1, 2))
    y.backward(ag.tensor(gy))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, padding=(0, 2), dilation=(1, 2))
    ty.backward(torch.tensor(gy))
    assert np.all(y.data[0] != 0)  # was [0, 0] for image 0
    for ours, theirs in ((y, ty), (xt.grad, tx.grad), (wt.grad, tw.grad)):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    # conv_transpose2d's weight gradient runs im2col on the upstream gradient: the same span
    u, v = rng.standard_normal((2, 2, 1, 1)), rng.standard_normal((2, 1, 1, 3))
    ut, vt = ag.tensor(u, requires_grad=True), ag.tensor(v, requires_grad=True)
    z = F.conv_transpose2d(ut, vt, padding=(0, 2), dilation=(1, 2))
    gz = rng.standard_normal(z.shape)
    z.backward(ag.tensor(gz))
    tu, tv = torch.tensor(u, requires_grad=True), torch.tensor(v, requires_grad=True)
    torch.nn.functional.conv_transpose2d(tu, tv, padding=(0, 2), dilation=(1, 2)).backward(torch.tensor(gz))
    np.testing.assert_allclose(vt.grad.data, tv.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ut.grad.data, tu.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_max_pool_window_of_padding_only_has_no_input(backend):
    """PyTorch: -inf, index ya*W + xa (the window's first in-range row/column, past the plane), no gradient."""
    torch = pytest.importorskip("torch")
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    prev = kernels.use(backend)
    try:
        xt = ag.tensor(x, requires_grad=True)
        y, idx = F.max_pool2d(xt, 2, 1, 1, 3, return_indices=True)  # taps at -1 and 2: both outside
        assert y.data.tolist() == [[[[-np.inf]]]]
        _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, 3, return_indices=True)
        assert idx.data.tolist() == tidx.tolist() == [[[[6]]]]
        g1 = ag.tensor(np.ones(y.shape), requires_grad=True)
        (gx,) = ag.grad(y, xt, g1, create_graph=True)
        np.testing.assert_array_equal(gx.data, np.zeros_like(x))  # was 1 at the last element (index wrapped)
        (gg1,) = ag.grad(gx, g1, ag.tensor(np.full(x.shape, 5.0)))  # double backward: that window gathers 0
        np.testing.assert_array_equal(gg1.data, np.zeros(y.shape))
        # with the window mixed into ordinary ones (ceil_mode, padding, dilation): gradients equal torch's
        x2 = _data(np.float64, (2, 2, 3, 1))
        xt2 = ag.tensor(x2, requires_grad=True)
        y2 = F.max_pool2d(xt2, (2, 2), 1, (1, 1), (1, 2), ceil_mode=True)
        g = _data(np.float64, y2.shape, seed=3)
        y2.backward(ag.tensor(g))
        ty2, ti2 = torch.nn.functional.max_pool2d(torch.tensor(x2), (2, 2), 1, (1, 1), (1, 2), ceil_mode=True,
                                                  return_indices=True)
        np.testing.assert_array_equal(y2.data, ty2.numpy())
        want = np.zeros((2, 2, 3))
        for b, c, k in zip(*np.nonzero(ti2.numpy().reshape(2, 2, -1) < 3)):
            want[b, c, ti2.numpy().reshape(2, 2, -1)[b, c, k]] += g.reshape(2, 2, -1)[b, c, k]
        np.testing.assert_array_equal(xt2.grad.data, want.reshape(x2.shape))
    finally:
        kernels.use(prev)


@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_max_pool_last_nan_wins_like_torch(backend):
    torch = pytest.importorskip("torch")
    x = np.array([[[[np.nan, 1.0, 5.0], [np.nan, 2.0, np.nan], [1.0, 2.0, 3.0]]]])
    prev = kernels.use(backend)
    try:
        for args in ((2, 1), (3, 1, 1), (2, 1, 0, 2)):
            y, idx = F.max_pool2d(ag.tensor(x), *args, return_indices=True)
            ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), *args, return_indices=True)
            np.testing.assert_array_equal(y.data, ty.numpy())
            np.testing.assert_array_equal(idx.data, tidx.numpy())
    finally:
        kernels.use(prev)


def test_valid_inputs_that_were_refused():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    rng = np.random.default_rng(5)
    # output_padding 1 with stride 1 is allowed by dilation 2 (PyTorch: output_padding < max(stride, dilation))
    x, w = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((3, 2, 3, 3))
    xt, wt = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
    y = F.conv_transpose2d(xt, wt, stride=1, output_padding=1, dilation=2)
    g = rng.standard_normal(y.shape)
    y.backward(ag.tensor(g))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = tF.conv_transpose2d(tx, tw, stride=1, output_padding=1, dilation=2)
    ty.backward(torch.tensor(g))
    assert y.shape == tuple(ty.shape) == (2, 2, 9, 9)
    for ours, theirs in ((y, ty), (xt.grad, tx.grad), (wt.grad, tw.grad)):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-13)
    # BatchNorm over zero channels (PyTorch accepts it without affine parameters)
    for shape in ((2, 0, 3), (2, 0, 3, 3), (4, 0)):
        xb = ag.ones(*shape, requires_grad=True)
        yb = F.batch_norm(xb, ag.zeros(0), ag.ones(0), training=True)
        assert yb.shape == shape
        yb.sum().backward()
        assert xb.grad.shape == shape
        assert ag.nn.BatchNorm2d(0, affine=False)(ag.ones(2, 0, 3, 3)).shape == (2, 0, 3, 3)
    with pytest.raises(IndexError):  # PyTorch 2.13 as well: its empty-input path reads weight[0]
        ag.nn.BatchNorm2d(0)(ag.ones(2, 0, 3, 3))
    # an empty batch: BatchNorm, max-pool double backward, conv2d, conv_transpose2d, avg_pool2d
    x0 = ag.ones(0, 2, 4, 4, requires_grad=True)
    u = ag.ones(0, 2, 2, 2, requires_grad=True)
    (gx,) = ag.grad(F.max_pool2d(x0, 2), x0, u, create_graph=True)
    gx.sum().backward()
    assert gx.shape == (0, 2, 4, 4) and u.grad.shape == (0, 2, 2, 2)
    for op, wshape, kw in ((F.conv2d, (3, 2, 3, 3), {"padding": 1}), (F.conv_transpose2d, (2, 3, 3, 3), {"stride": 2}),
                           (F.avg_pool2d, None, {"kernel_size": 2}), (F.batch_norm, None, {"running_mean": None,
                                                                                            "running_var": None,
                                                                                            "training": True})):
        x0 = ag.ones(0, 2, 4, 4, requires_grad=True)
        tx0 = torch.ones(0, 2, 4, 4, dtype=torch.float32, requires_grad=True)
        wt, tw = None, None
        if wshape:
            wt, tw = ag.ones(*wshape, requires_grad=True), torch.ones(*wshape, requires_grad=True)
        y0 = op(x0, wt, **kw) if wt is not None else op(x0, **kw)
        ty0 = getattr(tF, op.__name__)(tx0, tw, **kw) if tw is not None else getattr(tF, op.__name__)(tx0, **kw)
        assert y0.shape == tuple(ty0.shape), op.__name__
        y0.sum().backward()
        ty0.sum().backward()
        assert x0.grad.shape == (0, 2, 4, 4)
        if wt is not None:
            np.testing.assert_array_equal(wt.grad.data, tw.grad.numpy())  # zeros of the weight's shape


@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm"])
def test_float16_computes_in_float32_and_returns_float16_like_torch(op):
    """PyTorch computes these on float16 CPU tensors (accumulating in float): so do we, never reaching numba
    with float16. Values agree to float16's precision; gradients come back in each input's dtype."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float16)
    params = {"conv2d": [rng.standard_normal((3, 2, 3, 3)).astype(np.float16)],
              "conv_transpose2d": [rng.standard_normal((2, 3, 3, 3)).astype(np.float16)],
              "batch_norm": [None, None, np.ones(2, np.float32), np.zeros(2, np.float32)]}.get(op, [])
    kw = {"conv2d": {"padding": 1}, "conv_transpose2d": {"stride": 2}, "max_pool2d": {"kernel_size": 2},
          "avg_pool2d": {"kernel_size": 2, "padding": 1}, "batch_norm": {"training": True}}[op]
    ours = [ag.tensor(x, requires_grad=True)] + [None if p is None else ag.tensor(p, requires_grad=True)
                                                  for p in params]
    theirs = [torch.tensor(x, requires_grad=True)] + [None if p is None else torch.tensor(p, requires_grad=True)
                                                      for p in params]
    y = getattr(F, op)(*ours, **kw)
    ty = getattr(torch.nn.functional, op)(*theirs, **kw)
    assert y.dtype == np.float16 and str(ty.dtype) == "torch.float16"
    np.testing.assert_allclose(y.detach().numpy().astype(np.float32), ty.detach().float().numpy(), rtol=2e-2, atol=2e-2)
    g = rng.standard_normal(y.shape).astype(np.float16)
    y.backward(ag.tensor(g))
    ty.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        if a is not None:
            assert a.grad.dtype == a.dtype
            np.testing.assert_allclose(a.grad.numpy().astype(np.float32), t.grad.float().numpy(), rtol=3e-2, atol=3e-2)


def test_big_endian_input_is_byte_swapped_before_the_kernels():
    rng = np.random.default_rng(12)
    x, w = rng.standard_normal((2, 2, 5, 5)).astype(np.float32), rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    calls = {
        "conv2d": lambda a, b: F.conv2d(a, b, padding=1),
        "conv_transpose2d": lambda a, b: F.conv_transpose2d(a, b.transpose(0, 1), stride=2),
        "max_pool2d": lambda a, b: F.max_pool2d(a, 3, 2, 1),
        "avg_pool2d": lambda a, b: F.avg_pool2d(a, 2),
        "batch_norm": lambda a, b: F.batch_norm(a, None, None, training=True),
    }
    for name, call in calls.items():
        results = []
        for dt in ("<f4", ">f4"):
            a, b = ag.tensor(x.astype(dt), requires_grad=True), ag.tensor(w.astype(dt), requires_grad=True)
            y = call(a, b)
            y.backward(ag.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(np.float32)))
            results.append((y.data, a.grad.data) + ((b.grad.data,) if b.grad is not None else ()))
        for native, swapped in zip(*results):
            np.testing.assert_array_equal(native, swapped, err_msg=name)
    # the kernels themselves accept byte-swapped arrays and refuse other dtypes with the kernel's name
    big = x.astype(">f8")
    np.testing.assert_array_equal(conv.im2col_numba(big, 2, 2, 1, 1, 0, 0, 1, 1, 4, 4),
                                  conv.im2col_numba(x.astype(np.float64), 2, 2, 1, 1, 0, 0, 1, 1, 4, 4))
    with pytest.raises(TypeError, match=r"kernels.max_pool_forward: the numba kernels take float32 or float64 "
                                        r"arrays, got float16"):
        pool.max_pool_forward_numba(x.astype(np.float16), 2, 2, 2, 2, 0, 0, 1, 1, 2, 2)


def test_mixed_dtypes_raise_like_torch_with_the_fix():
    torch = pytest.importorskip("torch")
    x64, w32 = np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3), np.float32)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        torch.nn.functional.conv2d(torch.tensor(x64), torch.tensor(w32))
    with pytest.raises(RuntimeError, match=r"conv2d: expected scalar type Double but found Float: Input type "
                                           r"\(float64\) and weight type \(float32\) should be the same; convert one, "
                                           r"e\.g\. weight\.to\(float64\) or input\.to\(float32\)"):
        F.conv2d(ag.tensor(x64), ag.tensor(w32))
    with pytest.raises(RuntimeError, match=r"conv2d: Input type \(float32\) and bias type \(float64\) should be the "
                                           r"same; convert the bias with bias\.to\(float32\)"):
        F.conv2d(ag.tensor(x64.astype(np.float32)), ag.tensor(w32), ag.zeros(3, dtype=ag.float64))
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: expected scalar type Double but found Float"):
        F.conv_transpose2d(ag.tensor(x64), ag.tensor(np.ones((2, 3, 3, 3), np.float32)))
    with pytest.raises(RuntimeError, match="mixed dtype"):
        torch.nn.functional.batch_norm(torch.tensor(x64), None, None, torch.ones(2), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm: mixed dtype \(CPU\): input \(float64\) and weight \(float32\) "
                                           r"must share the input's dtype; convert them with \.to\(float64\)"):
        F.batch_norm(ag.tensor(x64), None, None, ag.ones(2), training=True)
    with pytest.raises(RuntimeError, match=r"input \(float32\) and running_mean \(float64\), running_var \(float64\)"):
        F.batch_norm(ag.ones(2, 2), ag.zeros(2, dtype=ag.float64), ag.ones(2, dtype=ag.float64), training=False)
    # float16 input with float32 parameters is PyTorch's mixed-precision case: accepted, float16 out
    y = F.batch_norm(ag.ones(3, 2, dtype=ag.float16), ag.zeros(2), ag.ones(2), ag.ones(2), ag.zeros(2), training=True)
    assert y.dtype == np.float16
    with pytest.raises(RuntimeError, match=r"\(or all float32 for a float16 input\)"):
        F.batch_norm(ag.ones(3, 2, dtype=ag.float16), None, None, ag.ones(2, dtype=ag.float64), training=True)
    with pytest.raises(RuntimeError, match=r"conv2d: input of dtype int64 is not supported .* convert it with "
                                           r"\.float\(\) or \.double\(\)"):
        F.conv2d(ag.tensor(np.ones((1, 1, 3, 3), np.int64)), ag.tensor(np.ones((1, 1, 2, 2), np.int64)))


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")  # torch's, for kernel size 0
def test_conv_layer_arguments_refused_like_torch():
    torch = pytest.importorskip("torch")
    layer, tlayer = ag.nn.Conv2d(3, 4, 0), torch.nn.Conv2d(3, 4, 0)  # both construct
    with pytest.raises(RuntimeError, match="kernel size should be greater than zero"):
        tlayer(torch.ones(1, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"conv2d: kernel size should be greater than zero, but got kernel_height: 0 "
                                           r"kernel_width: 0"):
        layer(ag.ones(1, 3, 4, 4))  # used to return zeros
    with pytest.raises(RuntimeError, match="kernel_height: 0 kernel_width: 2"):
        F.conv2d(ag.ones(1, 3, 4, 4), ag.ones(4, 3, 0, 2))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        torch.nn.Conv2d(3, 4, 3, padding="same", stride=2)
    for stride in (2, (1, 2)):
        with pytest.raises(ValueError, match=r"Conv2d: padding='same' is not supported for strided convolutions "
                                             r"\(stride=\(\d, 2\)\); give an explicit padding instead"):
            ag.nn.Conv2d(3, 4, 3, padding="same", stride=stride)
    with pytest.raises(ValueError, match=r"Conv2d: Invalid padding string 'full', should be one of"):
        ag.nn.Conv2d(3, 4, 3, padding="full")
    assert ag.nn.Conv2d(3, 4, 3, padding="same")(ag.ones(1, 3, 5, 5)).shape == (1, 4, 5, 5)
    with pytest.raises(RuntimeError, match=r"Conv2d: Trying to create tensor with negative dimension"):
        ag.nn.Conv2d(3, 4, -1)
    with pytest.raises(RuntimeError, match=r"conv2d: non-positive stride is not supported"):
        ag.nn.Conv2d(3, 4, 3, stride=0)(ag.ones(1, 3, 5, 5))


# ---------------------------------------------------------------------- the kernel cache, keyed on all of kernels/
# numba keys a cached kernel on its own file only; kernels._cache names the cache folder after a digest of every
# kernels/*.py, so an edit of any (the _llvm.py intrinsics included) recompiles. These tests run real processes.
KERNELS_DIR = ROOT / "kernels"
# erf (serial), im2col (parallel) and BatchNorm's _moments, whose sums call _llvm.fma
_CACHE_PROBE = (
    "import numpy as np\n"
    "from {pkg} import _cache, conv, norm, special\n"
    "x = np.arange(8.0)\n"
    "special.erf_numba(x)\n"
    "conv.im2col_numba(x.reshape(1, 2, 2, 2), 2, 2, 1, 1, 0, 0, 1, 1, 1, 1)\n"
    "s, q = norm._moments(x, 0, 2, 4, 4, 0.0, np.empty(4), np.empty(4))\n"
    "print('digest', _cache.digest())\n"
    "print('moments', s, q)\n"
    "for f in (special._erf_numba, conv._im2col_numba, norm._moments):\n"
    "    print('stats', f.__name__, sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
)


def _needs_jit() -> None:
    """Skip a cache test where numba compiles nothing: under NUMBA_DISABLE_JIT there is no machine code to cache."""
    from numba.core import config

    if config.DISABLE_JIT:
        pytest.skip("NUMBA_DISABLE_JIT=1: numba compiles nothing, so there is no kernel cache to test")


def _probe(cache_dir: Path, pkg: str = "autograd_core.kernels", pythonpath: Path | None = None) -> dict:
    """Run _CACHE_PROBE in a fresh process with NUMBA_CACHE_DIR=cache_dir; its digest, moments and cache stats."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    r = subprocess.run([sys.executable, "-c", _CACHE_PROBE.format(pkg=pkg)], cwd=cache_dir.parent, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    out: dict = {"stats": {}}
    for line in r.stdout.splitlines():
        key, *rest = line.split()
        if key == "stats":
            out["stats"][rest[0]] = (int(rest[1]), int(rest[2]))  # (cache hits, cache misses)
        elif key == "moments":
            out["moments"] = (float(rest[0]), float(rest[1]))
        else:
            out[key] = rest[0]
    return out


def test_kernel_cache_digest_changes_with_every_kernel_source() -> None:
    """One changed byte in any kernels/*.py (the _llvm.py intrinsics, _cache.py itself, a file no kernel
    imports), an added file or a renamed one gives another digest; the same texts give the same one."""
    from autograd_core.kernels import _cache

    sources = _cache.read_sources(KERNELS_DIR)
    assert {"_llvm.py", "_cache.py", "conv.py", "norm.py", "pool.py", "optim.py", "special.py"} <= set(sources)
    base = _cache.sources_digest(sources)
    assert base == _cache.digest()  # what this process's kernels are cached under
    assert len(base) == 16 and int(base, 16) >= 0
    assert _cache.sources_digest(dict(sources)) == base
    seen = {base}
    for name, text in sources.items():
        edited = _cache.sources_digest({**sources, name: text + b"\n# edited\n"})
        assert edited not in seen, name
        seen.add(edited)
    assert _cache.sources_digest({**sources, "extra.py": b""}) not in seen
    renamed = {("_llvm2.py" if k == "_llvm.py" else k): v for k, v in sources.items()}
    assert _cache.sources_digest(renamed) not in seen
    # field boundaries count: moving bytes from one file's end to the next file's start changes it too
    assert _cache.sources_digest({"a.py": b"xy", "b.py": b"z"}) != _cache.sources_digest({"a.py": b"x", "b.py": b"yz"})


def test_cached_njit_caches_under_the_digest_and_restores_cache_dir(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A function decorated while the kernel sources read differently (_llvm.py edited) caches under that
    digest's folder; numba.config.CACHE_DIR is the user's again afterwards, also when decoration raises, so
    the user's own cache=True functions stay where they were."""
    _needs_jit()
    import numba
    from autograd_core.kernels import _cache

    user = tmp_path / "user-cache"
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(user))
    sources = _cache.read_sources(KERNELS_DIR)
    edited = _cache.sources_digest({**sources, "_llvm.py": sources["_llvm.py"] + b"\n# edited\n"})
    assert edited != _cache.digest()
    monkeypatch.setattr(_cache, "digest", lambda: edited)

    def add_one(x: float) -> float:
        return x + 1.0

    disp = _cache.cached_njit(error_model="numpy")(add_one)
    assert numba.config.CACHE_DIR == str(user)
    folder = user / f"autograd_core-{edited}"
    assert Path(disp.stats.cache_path).is_relative_to(folder)
    assert disp(1.0) == 2.0 and list(folder.rglob("*add_one*.nbi"))
    # a second decoration with other options gets another folder: numba's index ignores the options
    par = _cache.cached_njit(parallel=True, error_model="numpy")(add_one)
    assert Path(par.stats.cache_path).is_relative_to(folder) and par.stats.cache_path != disp.stats.cache_path
    with pytest.raises(TypeError):  # cache is not an option of cached_njit: numba.njit gets it twice
        _cache.cached_njit(cache=False)(add_one)
    assert numba.config.CACHE_DIR == str(user)
    mine = numba.njit(cache=True)(add_one)
    assert Path(mine.stats.cache_path).is_relative_to(user) and not Path(mine.stats.cache_path).is_relative_to(folder)
    # numba unable to write our folder (a file where it goes) falls back to one keyed on this file alone:
    # cached_njit compiles without a cache instead
    (folder / _cache._options_tag({"fastmath": False})).write_text("not a folder")
    blocked = _cache.cached_njit(fastmath=False)(add_one)
    assert blocked.stats.cache_path is None and blocked(2.0) == 3.0
    assert numba.config.CACHE_DIR == str(user)


def test_kernel_cache_root_without_numba_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No NUMBA_CACHE_DIR: kernels/__pycache__/numba-<digest>; where that cannot be created, the user cache
    folder; where neither can, None (the kernels then compile without a cache, never from a stale one)."""
    from autograd_core.kernels import _cache

    kdir, home = tmp_path / "kernels", tmp_path / "home"
    kdir.mkdir()
    monkeypatch.setattr(_cache, "_HERE", kdir)
    monkeypatch.setattr(_cache, "_user_cache_home", lambda: home)
    assert _cache.cache_dir("", "0" * 16) == kdir / "__pycache__" / f"numba-{'0' * 16}"
    (kdir / "__pycache__").rename(kdir / "moved")
    (kdir / "__pycache__").write_text("a file where the folder would be")
    assert _cache.cache_dir("", "1" * 16) == home / "autograd_core" / f"numba-{'1' * 16}"
    home.mkdir(exist_ok=True)
    (home / "autograd_core").rename(home / "moved")
    (home / "autograd_core").write_text("a file as well")
    assert _cache.cache_dir("", "2" * 16) is None
    assert _cache.cache_dir(str(tmp_path / "nc"), "3" * 16) == tmp_path / "nc" / f"autograd_core-{'3' * 16}"


def test_stale_kernel_cache_folders_are_pruned_safely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only <prefix>-<16 hex> folders of other digests unused past the grace period go: not the current
    one, not a recent one (a process may still run that code), not other names, files or symlinks; numba's
    old in-tree *.nbi/*.nbc files of kernels/ go after the same grace, .pyc files stay."""
    import time

    from autograd_core.kernels import _cache

    old = 0.0  # mtime of the epoch: unused for decades
    parent = tmp_path / "root"
    names = {"stale": "numba-" + "a" * 16, "recent": "numba-" + "b" * 16, "keep": "numba-" + "c" * 16,
             "other": "numba-notadigest", "short": "numba-" + "d" * 15, "prefix": "autograd_core-" + "e" * 16}
    for key, name in names.items():
        (parent / name / "sub").mkdir(parents=True)
        if key != "recent":
            os.utime(parent / name, (old, old))
    (parent / ("numba-" + "f" * 16)).write_text("a file")
    target = tmp_path / "target"
    target.mkdir()
    os.utime(target, (old, old))
    (parent / ("numba-" + "1" * 16)).symlink_to(target, target_is_directory=True)
    os.utime(parent / ("numba-" + "1" * 16), (old, old), follow_symlinks=False)
    removed = _cache.prune(parent, "numba", names["keep"], 3600.0)
    assert removed == [names["stale"]]
    left = {p.name for p in parent.iterdir()}
    assert left == set(names.values()) - {names["stale"]} | {"numba-" + "f" * 16, "numba-" + "1" * 16}
    assert target.is_dir()
    # through cache_dir: the in-tree root also loses numba's own (pre-digest) cache files once stale
    kdir = tmp_path / "kernels"
    pyc = kdir / "__pycache__"
    pyc.mkdir(parents=True)
    for name in ("conv._span-20.py311.nbi", "conv._span-20.py311.1.nbc", "conv.cpython-311.pyc"):
        (pyc / name).write_bytes(b"")
        os.utime(pyc / name, (old, old))
    (pyc / "norm._moments-41.py311.nbi").write_bytes(b"")  # recent: kept
    (pyc / ("numba-" + "a" * 16)).mkdir()
    os.utime(pyc / ("numba-" + "a" * 16), (old, old))
    monkeypatch.setattr(_cache, "_HERE", kdir)
    assert _cache.cache_dir("", "9" * 16) == pyc / ("numba-" + "9" * 16)
    assert {p.name for p in pyc.iterdir()} == {"conv.cpython-311.pyc", "norm._moments-41.py311.nbi",
                                                "numba-" + "9" * 16}
    assert (pyc / ("numba-" + "9" * 16)).stat().st_mtime > time.time() - 600  # marked in use


def test_kernel_cache_is_written_under_the_digest_and_loaded_by_the_next_process(tmp_path: Path) -> None:
    """A fresh process compiles and writes every kernel's index under NUMBA_CACHE_DIR/autograd_core-<digest>
    of the current sources (nothing elsewhere); a second process loads all of them: hits, no compiles."""
    _needs_jit()
    from autograd_core.kernels import _cache

    cache = tmp_path / "numba-cache"
    cold = _probe(cache)
    want = _cache.sources_digest(_cache.read_sources(KERNELS_DIR))
    assert cold["digest"] == want
    assert [p.name for p in cache.iterdir()] == [f"autograd_core-{want}"]
    index = {p.name.split("-")[0] for p in (cache / f"autograd_core-{want}").rglob("*.nbi")}
    assert {"special._erf_numba", "conv._im2col_numba", "norm._moments"} <= index
    assert all(hits == 0 and misses >= 1 for hits, misses in cold["stats"].values()), cold
    warm = _probe(cache)
    assert warm["digest"] == want and warm["moments"] == cold["moments"]
    assert all(hits >= 1 and misses == 0 for hits, misses in warm["stats"].values()), warm


def test_editing_llvm_helpers_recompiles_the_kernels_that_call_them(tmp_path: Path) -> None:
    """The bug this cache fixes, end to end on a copy of the kernels package (it imports nothing else of
    autograd_core): change _llvm.fma's compiled form and the next process runs the new code in
    norm._moments, whose own file did not change. With numba's per-file key it ran the stale machine code."""
    _needs_jit()
    import shutil

    pkg = tmp_path / "pkg" / "kernels_copy"
    pkg.mkdir(parents=True)
    for src in KERNELS_DIR.glob("*.py"):
        shutil.copy2(src, pkg / src.name)
    cache = tmp_path / "numba-cache"
    first = _probe(cache, "kernels_copy", pkg.parent)
    assert first["moments"] == (28.0, 140.0)  # sum and sum of squares of 0..7
    again = _probe(cache, "kernels_copy", pkg.parent)
    assert again["stats"]["_moments"] == (1, 0) and again["digest"] == first["digest"]
    llvm = pkg / "_llvm.py"
    text = llvm.read_text()
    fused = "return lambda a, b, c: _llvm_fma(a, b, c)"
    assert fused in text
    llvm.write_text(text.replace(fused, "return lambda a, b, c: c  # product dropped: the sums of squares are 0"))
    edited = _probe(cache, "kernels_copy", pkg.parent)
    assert edited["digest"] != first["digest"]
    assert edited["stats"]["_moments"] == (0, 1)  # compiled afresh
    assert edited["moments"] == (28.0, 0.0)  # and the new fma is what runs
    both = {f"autograd_core-{first['digest']}", f"autograd_core-{edited['digest']}"}
    assert {p.name for p in cache.iterdir()} == both  # the old folder is another digest's, left for pruning


def test_parallel_and_serial_sgd_kernels_do_not_share_a_cache_entry(tmp_path: Path) -> None:
    """optim compiles one Python function twice (parallel and serial). numba's cache index ignores the
    options, so with one folder the parallel kernel loaded the serial one's machine code, in the first
    process already; each option set now has its own folder: two compiles cold, two loads warm."""
    _needs_jit()
    code = (
        "import numpy as np\n"
        "from autograd_core.kernels import optim\n"
        "z = np.zeros(4)\n"
        "for f in (optim._sgd_ser, optim._sgd_par):\n"
        "    f(z, z, z.copy(), 0.1, 0.9, 0.0, 0.0, False, False, False)\n"
        "    print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()), f.stats.cache_path)\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        runs.append([line.split() for line in r.stdout.splitlines()])
    (ser_cold, par_cold), (ser_warm, par_warm) = runs
    assert ser_cold[:2] == par_cold[:2] == ["0", "1"], runs  # both compiled: the parallel one was a hit
    assert ser_warm[:2] == par_warm[:2] == ["1", "0"], runs
    assert ser_cold[2] != par_cold[2]


def test_disable_jit_writes_no_kernel_cache(tmp_path: Path) -> None:
    """Under NUMBA_DISABLE_JIT=1 the decorated kernels are the Python functions themselves and no cache
    folder is made (nor is numba.config.CACHE_DIR left changed)."""
    code = (
        "import inspect\n"
        "import numpy as np\n"
        "from numba.core import config\n"
        "from autograd_core.kernels import conv, norm, optim, pool, special\n"
        "assert all(inspect.isfunction(f) for f in (conv._im2col_numba, norm._moments, optim._sgd_par,"
        " pool._max_fwd, special._erf_numba))\n"
        "assert np.allclose(special.erf_numba(np.zeros(3)), 0.0)\n"
        "print(config.CACHE_DIR)\n"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == str(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()
