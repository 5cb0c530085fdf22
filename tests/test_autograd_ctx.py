"""PyTorch's ctx-style ``autograd.Function`` (staticmethod forward/backward, ``ctx.save_for_backward`` & co).

Each custom function is defined once by a factory taking the module (``autograd_core`` or ``torch``), so the
very same class body runs on both and the results are compared; torch is the specification for the values,
the gradients, which outputs require grad, ``needs_input_grad`` and the error texts.
"""

from __future__ import annotations

import numpy as np
import pytest
from autograd_core.autograd.function import Function, FunctionCtx, once_differentiable

import autograd_core as ag

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _pair(data, dtype="float64", requires_grad=True):
    """The same values as an autograd_core and a torch tensor."""
    arr = np.asarray(data, dtype=dtype)
    return (ag.tensor(arr.copy(), requires_grad=requires_grad),
            torch.tensor(arr.copy(), requires_grad=requires_grad))


# ---------------------------------------------------------------------- the tutorial functions
def make_exp(M):
    class Exp(M.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    return Exp


def make_legendre(M):
    class LegendrePolynomial3(M.autograd.Function):
        @staticmethod
        def forward(ctx, input):  # noqa: A002 - the tutorial's name
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors  # noqa: A001
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def test_exp_matches_torch_in_values_gradients_and_second_derivatives():
    rng = np.random.default_rng(0)
    x, tx = _pair(rng.standard_normal((3, 4)))
    u = rng.standard_normal((3, 4))
    Exp, TExp = make_exp(ag), make_exp(torch)
    y, ty = Exp.apply(x), TExp.apply(tx)
    np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-12)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__ == "ExpBackward"
    assert y.grad_fn.name() == "ExpBackward" and isinstance(y.grad_fn, FunctionCtx)
    (g,) = ag.grad(y, x, ag.tensor(u), create_graph=True)
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(u), create_graph=True)
    np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-12)
    # the second derivative runs through ExpBackward again (the saved output carries the node)
    (h,) = ag.grad((g * g).sum(), x)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(_np(h), _np(th), rtol=1e-12)


def test_exp_and_legendre_pass_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    for fn in (make_exp(ag), make_legendre(ag)):
        assert issubclass(fn._backward_cls, ag._function._CtxNode)  # each ctx class records a generated _CtxNode
        assert ag.gradcheck(fn.apply, (x,))
        assert ag.gradgradcheck(fn.apply, (x,))
    # torch agrees that these are right (the oracle is not fooled by a wrong formula either)
    tx = torch.tensor(_np(x), requires_grad=True)
    for fn in (make_exp(torch), make_legendre(torch)):
        assert torch.autograd.gradcheck(fn.apply, (tx,)) and torch.autograd.gradgradcheck(fn.apply, (tx,))


def test_gradcheck_catches_a_wrong_ctx_backward():
    class Wrong(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # missing the factor 2

    x = ag.tensor([0.5, 1.5], dtype=ag.float64, requires_grad=True)
    with pytest.raises(ag.GradcheckError, match="Jacobian mismatch for input 0"):
        ag.gradcheck(Wrong.apply, (x,))


def test_the_legendre_tutorial_training_loop_follows_torch_step_by_step():
    """PyTorch's 'Defining new autograd functions' tutorial, 20 steps, parameters compared after each."""

    def run(M, P3):
        dt = M.float64
        x = M.linspace(-np.pi, np.pi, 200, dtype=dt)
        y = M.sin(x)
        a, b, c, d = (M.full((), v, dtype=dt, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        lr = 5e-6
        trace = []
        for _ in range(20):
            y_pred = a + b * P3.apply(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with M.no_grad():
                for p in (a, b, c, d):
                    p -= lr * p.grad
                    p.grad = None
            trace.append([loss.item()] + [p.item() for p in (a, b, c, d)])
        return np.array(trace)

    # a and c stay ~1e-20 (the data is odd): an absolute tolerance for them
    np.testing.assert_allclose(run(ag, make_legendre(ag)), run(torch, make_legendre(torch)), rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------------- ctx API
def make_needs(M, seen):
    class Scale(M.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.k = k  # any attribute of your own
            seen.append(tuple(ctx.needs_input_grad))
            ctx.save_for_backward(x, y)
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            gx = g * y * ctx.k if ctx.needs_input_grad[0] else None
            gy = g * x * ctx.k if ctx.needs_input_grad[1] else None
            return gx, gy, None  # the non-tensor k gets None

    return Scale


@pytest.mark.parametrize("rx,ry", [(True, False), (False, True), (True, True)])
def test_needs_input_grad_and_non_tensor_arguments_match_torch(rx, ry):
    ours, theirs = [], []
    x, tx = _pair([1.0, 2.0], requires_grad=rx)
    y, ty = _pair([3.0, -1.0], requires_grad=ry)
    out = make_needs(ag, ours).apply(x, y, 2.5)
    tout = make_needs(torch, theirs).apply(tx, ty, 2.5)
    assert ours == theirs == [(rx, ry, False)]
    out.sum().backward()
    tout.sum().backward()
    for a, b in ((x, tx), (y, ty)):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    # under no_grad nothing is recorded and nothing needs a gradient
    with ag.no_grad():
        z = make_needs(ag, ours).apply(x, y, 1.0)
    assert z.grad_fn is None and not z.requires_grad and ours[-1] == (False, False, False)


def test_keyword_arguments_bind_to_forward_positions_as_in_torch():
    def make(M, seen):
        class Mul(M.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale=2.0, shift=0.0):
                seen.append(len(ctx.needs_input_grad))
                ctx.scale = scale
                return x * scale + shift

            @staticmethod
            def backward(ctx, g):
                return (g * ctx.scale,) + (None,) * (len(ctx.needs_input_grad) - 1)

        return Mul

    ours, theirs = [], []
    x, tx = _pair([1.0, 2.0])
    for args, kw in (((), {}), ((3.0,), {}), ((), {"scale": 4.0})):
        make(ag, ours).apply(x, *args, **kw).sum().backward()
        make(torch, theirs).apply(tx, *args, **kw).sum().backward()
    # a keyword becomes an input at its position; defaults after it are not bound
    assert ours == theirs == [1, 2, 2]
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    for kw, msg in (({"bad": 1}, "forward() got an unexpected keyword argument 'bad'"),
                    ({"shift": 1.0}, "forward() missing required argument: 'scale' (position 1)")):
        with pytest.raises(TypeError) as theirs_e:
            make(torch, []).apply(tx, **kw)
        with pytest.raises(TypeError, match=r"^Mul.apply: (.*)") as ours_e:
            make(ag, []).apply(x, **kw)
        assert str(ours_e.value) == f"Mul.apply: {msg}" and str(theirs_e.value) == msg


def test_multiple_outputs_and_mark_non_differentiable_match_torch():
    def make(M, seen):
        class SortFn(M.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                values, idx = M.sort(x)
                ctx.mark_non_differentiable(idx)
                ctx.save_for_backward(idx)
                return values, idx

            @staticmethod
            def backward(ctx, g_values, g_idx):
                seen.append(_np(g_idx).tolist())
                (idx,) = ctx.saved_tensors
                out = M.zeros_like(g_values)
                out[idx] = g_values
                return out

        return SortFn

    ours, theirs = [], []
    x, tx = _pair([3.0, 1.0, 2.0])
    (v, i), (tv, ti) = make(ag, ours).apply(x), make(torch, theirs).apply(tx)
    assert (v.requires_grad, i.requires_grad) == (tv.requires_grad, ti.requires_grad) == (True, False)
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    u = np.array([10.0, 20.0, 30.0])
    (v * ag.tensor(u)).sum().backward()
    (tv * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert ours == theirs == [[0, 0, 0]]  # the non-differentiable output still gets a zero gradient


def test_two_differentiable_outputs_one_unused_and_non_tensor_outputs():
    def make(M):
        class Two(M.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2, x * x, "label"

            @staticmethod
            def backward(ctx, g1, g2, g3):
                (x,) = ctx.saved_tensors
                return g1 * 2 + g2 * 2 * x

        return Two

    x, tx = _pair([0.5, -1.0])
    a, b, s = make(ag).apply(x)
    ta, tb, ts = make(torch).apply(tx)
    assert s == ts == "label" and b.grad_fn is a.grad_fn
    b.sum().backward(retain_graph=True)  # only the second output is used
    tb.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    (a.sum() + b.sum()).backward()
    (ta.sum() + tb.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_integer_outputs_never_require_grad():
    class ToLong(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.long()

        @staticmethod
        def backward(ctx, g):
            return g

    x = ag.tensor([1.5, 2.5], requires_grad=True)
    assert not ToLong.apply(x).requires_grad


def test_set_materialize_grads_false_passes_none_for_unused_outputs_as_pytorch():
    seen = {}

    def make(M):
        class Pair(M.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                seen.setdefault(M.__name__, []).append((g1 is None, g2 is None))
                gx = None
                for g, k in ((g1, 2), (g2, 3)):
                    if g is not None:
                        gx = g * k if gx is None else gx + g * k
                return gx

        return Pair

    x, tx = _pair([1.0, 2.0])
    make(ag).apply(x)[0].sum().backward()
    make(torch).apply(tx)[0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    make(ag).apply(x)[1].sum().backward()
    make(torch).apply(tx)[1].sum().backward()
    assert seen["autograd_core"] == seen["torch"] == [(False, True), (True, False)]
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_mark_dirty_rebases_the_modified_input_as_in_torch():
    def make(M):
        class MulInPlace(M.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(3)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 3

        return MulInPlace

    x, tx = _pair([1.0, 2.0])
    a, ta = x * 2, tx * 2
    b, tb = make(ag).apply(a), make(torch).apply(ta)
    assert b is a and tb is ta and type(a.grad_fn).__name__ == "MulInPlaceBackward"
    np.testing.assert_allclose(_np(b), _np(tb))
    (b * b).sum().backward()
    (tb * tb).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
        make(ag).apply(ag.ones(2, requires_grad=True))

    class Forgot(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="marked as dirty during the forward method were not returned"):
        Forgot.apply(ag.ones(2, requires_grad=True) * 1)


def test_an_input_returned_unchanged_is_a_view_with_its_own_history():
    class Identity(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and x.is_leaf
    assert np.shares_memory(_np(y), _np(x)) and y._base is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_setup_context_style_matches_torch():
    def make(M):
        class Cube(M.autograd.Function):
            @staticmethod
            def forward(x, k):
                return x ** 3 * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                ctx.save_for_backward(x)
                ctx.k = k

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x ** 2 * ctx.k, None

        return Cube

    x, tx = _pair([0.5, -2.0])
    y, ty = make(ag).apply(x, 2.0), make(torch).apply(tx, 2.0)
    np.testing.assert_allclose(_np(y), _np(ty))
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    np.testing.assert_allclose(_np(g), _np(tg))
    g.sum().backward()
    tg.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    x64 = ag.tensor([0.3, 0.7], dtype=ag.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda t: make(ag).apply(t, 1.5), (x64,))


def test_once_differentiable_gives_first_derivatives_and_refuses_second():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = ag.tensor([1.0, 3.0], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(Square.apply, (x,))
    (g,) = ag.grad(Square.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(_np(g), [2.0, 6.0])
    with pytest.raises(NotImplementedError, match="SquareBackward is once-differentiable"):
        g.sum().backward()


# ---------------------------------------------------------------------- saved tensors
def test_saved_tensors_are_freed_by_backward_unless_retained():
    Exp = make_exp(ag)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    (saved,) = y.grad_fn.saved_tensors  # readable before backward
    np.testing.assert_allclose(_np(saved), _np(y))
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)
    msg = r"^Trying to backward through the graph a second time \(or directly access saved tensors after they"
    with pytest.raises(RuntimeError, match=msg):
        y.grad_fn.saved_tensors  # noqa: B018
    with pytest.raises(RuntimeError, match=msg):
        y.sum().backward()


def test_a_saved_tensor_modified_in_place_is_detected():
    Leg = make_legendre(ag)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Leg.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: .*saved tensor 0 of "
                                           r"LegendrePolynomial3Backward.*is at version 1; expected version 0"):
        y.sum().backward()


def test_outputs_can_carry_hooks_and_retain_grad():
    Exp = make_exp(ag)
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [10.0, 10.0])  # torch: the retain_grad hook runs last
    np.testing.assert_allclose(x.grad.numpy(), 10 * np.exp([0.0, 1.0]), rtol=1e-6)


# ---------------------------------------------------------------------- errors, as torch words them
def _torch_error(make, *args):
    with pytest.raises(Exception) as e:
        make(torch).apply(*args).sum().backward()
    return type(e.value), str(e.value)


def _our_error(make, *args):
    with pytest.raises(Exception) as e:
        make(ag).apply(*args).sum().backward()
    return type(e.value), str(e.value)


def _backward_returning(value_fn):
    def make(M):
        class Fn(M.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return value_fn(g)

        return Fn

    return make


@pytest.mark.parametrize("name,value_fn", [
    ("too_few", lambda g: g),
    ("too_many", lambda g: (g, g, g)),
    ("not_a_tensor", lambda g: (1.0, None)),
    ("wrong_shape", lambda g: (g[:1], None)),
])
def test_bad_backward_results_raise_torch_errors(name, value_fn):
    make = _backward_returning(value_fn)
    x, tx = _pair([1.0, 2.0, 3.0])
    y, ty = _pair([1.0, 1.0, 1.0], requires_grad=False)
    ours, theirs = _our_error(make, x, y), _torch_error(make, tx, ty)
    assert ours[0] is theirs[0] is RuntimeError
    assert ours[1].replace("Variable", "Tensor") == theirs[1].replace("Variable", "Tensor") or (
        name == "not_a_tensor" and ours[1].startswith(theirs[1]))
    if name == "too_few":
        assert ours[1] == "function FnBackward returned an incorrect number of gradients (expected 2, got 1)"


def test_a_gradient_for_a_non_tensor_input_is_an_error_as_in_torch():
    def make(M):
        class Fn(M.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g

        return Fn

    x, tx = _pair([1.0, 2.0])
    assert _our_error(make, x, 3) == _torch_error(make, tx, 3)


def test_extra_trailing_none_gradients_are_accepted_as_in_torch():
    class Fn(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = ag.tensor([1.0], requires_grad=True)
    Fn.apply(x).sum().backward()
    assert x.grad.item() == 2.0


def test_save_for_backward_of_a_non_tensor_and_a_missing_backward():
    class SavesInt(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None, 3)
            return x * 1

    class NoBackward(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    x = ag.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="^save_for_backward can only save variables, but argument 2 is of type int$"):
        SavesInt.apply(x)
    with pytest.raises(NotImplementedError, match="You must implement either the backward or vjp method"):
        NoBackward.apply(x).sum().backward()


def test_the_class_is_torch_autograd_function_and_the_op_contract_still_works():
    assert ag.autograd.Function is ag.Function is Function
    assert ag.autograd.function.once_differentiable is once_differentiable

    class Double(ag.autograd.Function):  # the op contract: ndarrays, instance methods
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g * 2

    assert not hasattr(Double, "_backward_cls")
    x = ag.ones(3, requires_grad=True)
    Double.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])
