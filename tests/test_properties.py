"""Property tests (hypothesis): broadcasting shapes and reduction axes, with random upstream grads."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Reference adjoint of broadcasting, written independently of the engine's sum_to."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


@given(st.data(), hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_broadcast_binary_grads(data, shapes):
    sa, sb = shapes.input_shapes
    a = data.draw(hnp.arrays(np.float64, sa, elements=finite))
    b = data.draw(hnp.arrays(np.float64, sb, elements=st.floats(0.5, 3.0)))
    g = data.draw(hnp.arrays(np.float64, shapes.result_shape, elements=finite))
    ta, tb = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    out = ta * tb + ta / tb
    np.testing.assert_allclose(out.data, a * b + a / b)
    out.backward(g)
    assert ta.grad.shape == sa and tb.grad.shape == sb
    np.testing.assert_allclose(ta.grad.data, _sum_to(g * (b + 1 / b), sa), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tb.grad.data, _sum_to(g * (a - a / b**2), sb), rtol=1e-10, atol=1e-10)


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
def test_reduction_axes_sum_mean(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    axes = data.draw(hnp.valid_tuple_axes(len(shape), min_size=1))
    keep = data.draw(st.booleans())
    t = ag.tensor(x, requires_grad=True)
    s = t.sum(dim=axes, keepdim=keep)
    m = t.mean(axis=axes, keepdims=keep)
    np.testing.assert_allclose(s.data, x.sum(axis=axes, keepdims=keep))
    np.testing.assert_allclose(m.data, x.mean(axis=axes, keepdims=keep))
    gs = data.draw(hnp.arrays(np.float64, s.shape, elements=finite))
    ag.backward([s, m], [gs, gs])
    n = np.prod([shape[a] for a in axes])
    kshape = tuple(1 if i in [a % len(shape) for a in axes] else d for i, d in enumerate(shape))
    expected = np.broadcast_to(gs.reshape(kshape), shape) * (1 + 1 / n)
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-10)


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_amax_distributes_over_ties(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 0.0, 2.0])))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    t = ag.tensor(x, requires_grad=True)
    t.amax(axis).sum().backward()
    hit = x == x.max(axis=axis, keepdims=True)
    np.testing.assert_allclose(t.grad.data, hit / hit.sum(axis=axis, keepdims=True))


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
                  elements=st.floats(-1e4, 1e4, width=32)))
def test_softmax_family_is_stable_in_float32(x):
    t = ag.tensor(x, requires_grad=True)
    ls = t.log_softmax(-1)
    sm = t.softmax(-1)
    lse = t.logsumexp(-1)
    assert ls.dtype == ag.float32
    for v in (ls, sm, lse):
        assert np.all(np.isfinite(v.data))
    (ls.sum() + sm.sum() + lse.sum()).backward()
    assert np.all(np.isfinite(t.grad.data))
