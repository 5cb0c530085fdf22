"""The op contract: what every backward may use, what every op family declares, and the claims
ops make to the engine (fresh gradient buffers), checked over the whole op table."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest
from op_db import OPS

import autograd_core as ag
from autograd_core import _engine, _methods, _xp
from autograd_core._function import Function

ROOT = Path(__file__).resolve().parents[1]


def _function_classes() -> list[type]:
    out, stack = [], [Function]
    while stack:
        c = stack.pop()
        for s in c.__subclasses__():
            stack.append(s)
            if s.__module__.startswith("autograd_core"):
                out.append(s)
    return out


# ---------------------------------------------------------------------- the two namespaces
def test_both_xp_namespaces_hold_the_same_functions():
    assert _xp.names(_xp.NUMPY) == _xp.names(_xp.TENSOR)
    assert {"apply", "where", "masked", "expand", "value", "sum_to", "exp"} <= _xp.names(_xp.NUMPY)
    assert _xp.NUMPY.records is False and _xp.TENSOR.records is True


def test_an_undeclared_xp_function_fails_in_an_ordinary_backward_too():
    # the point of one namespace for both modes: a missing twin is an error at the first backward,
    # not a silently detached value under create_graph (what a stray np.arctan used to give)
    with pytest.raises(AttributeError, match=r"xp.arctan is not defined .*declare it with both twins"):
        _xp.NUMPY.arctan  # noqa: B018
    with pytest.raises(ValueError, match="defined twice"):
        _xp.define("exp", np.exp, ag.exp)


def test_the_engine_hands_create_graph_backwards_the_tensor_namespace():
    seen = []

    class Probe(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            seen.append(self.xp)
            return g * 2

    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    Probe.apply(x).sum().backward()
    (g,) = ag.grad(Probe.apply(x).sum(), [x], create_graph=True)
    assert seen == [_xp.NUMPY, _xp.TENSOR]
    assert "xp" not in vars(Probe)  # the per-call namespace does not stay on the class


# ---------------------------------------------------------------------- what a backward may use
# A backward computes with operators, methods ndarray and Tensor share and self.xp; numpy functions
# only ever see constants (xp.value(...), masks, shapes). The lint follows values derived from the
# gradients and the saved tensors through each backward (a taint over its assignments).
_SAVED = {"saved", "saved_output", "saved_outputs"}
# Backwards that read xp.records: each a kernel (or numpy-only routine) whose recorded twin differs.
RECORDS_EXCEPTIONS = {"BatchNorm": "numba kernel vs composite Tensor backward",
                      "Det": "cofactor matrix from an SVD at a singular matrix has no recorded twin"}


def _backward_defs():
    for path in sorted((ROOT / "autograd_core").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "backward":
                    yield path.relative_to(ROOT), cls.name, fn


def _is_value_call(n: ast.AST) -> bool:
    return isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "value"


def _tainted_names(expr: ast.AST, tainted: set) -> bool:
    """Whether ``expr`` carries a differentiable value (a taint not stopped by xp.value(...))."""
    stack = [expr]
    while stack:
        n = stack.pop()
        if _is_value_call(n):
            continue
        if isinstance(n, ast.Name) and n.id in tainted:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _SAVED:
            return True
        stack.extend(ast.iter_child_nodes(n))
    return False


def _violations(fn: ast.FunctionDef) -> list[str]:
    tainted = {a.arg for a in fn.args.args[1:]} | ({fn.args.vararg.arg} if fn.args.vararg else set())
    for _ in range(3):  # a few passes reach a fixed point for these short bodies
        for n in ast.walk(fn):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and n.value is not None:
                if _tainted_names(n.value, tainted):
                    targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                    for t in targets:
                        tainted |= {x.id for x in ast.walk(t) if isinstance(x, ast.Name)}
    bad = []
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name):
            if n.func.value.id == "np" and n.func.attr != "errstate":
                if any(_tainted_names(a, tainted) for a in list(n.args) + [k.value for k in n.keywords]):
                    bad.append(f"np.{n.func.attr}(...) on a differentiable value (use self.xp.{n.func.attr})")
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "isinstance":
            if "Tensor" in ast.unparse(n) or "ndarray" in ast.unparse(n):
                bad.append(f"{ast.unparse(n)}: a branch on ndarray vs Tensor")
        named = isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
        if named and n.attr in ("data", "_create", "is_tensor"):
            if n.attr != "data" or n.value.id in tainted:
                bad.append(f"{ast.unparse(n)}: reaches into the mode (use xp.value / xp functions)")
    return bad


def test_every_backward_computes_through_xp_and_shared_methods():
    found = {}
    readers = set()
    n_backwards = 0
    for path, cls, fn in _backward_defs():
        n_backwards += 1
        bad = _violations(fn)
        if bad:
            found[f"{path}::{cls}"] = bad
        if "records" in {a.attr for a in ast.walk(fn) if isinstance(a, ast.Attribute)}:
            readers.add(cls)
    assert n_backwards > 60
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert readers == set(RECORDS_EXCEPTIONS)


def test_the_lint_catches_what_it_is_for():
    src = '''
def backward(self, g):
    (x,) = self.saved()
    y = x * 2
    a = np.arctan(y)
    b = np.sign(self.xp.value(x))
    if isinstance(g, Tensor):
        pass
    return g * a * b + x.data
'''
    fn = ast.parse(src).body[0]
    bad = _violations(fn)
    assert any("np.arctan" in b for b in bad)
    assert not any("np.sign" in b for b in bad)  # on a constant: fine
    assert any("isinstance" in b for b in bad) and any("x.data" in b for b in bad)


# ---------------------------------------------------------------------- declarations
FAMILY_MODULES = [m.__name__ for m in _methods.FAMILIES]


@pytest.mark.parametrize("modname", FAMILY_MODULES)
def test_each_family_declares_its_functions_and_methods(modname):
    mod = importlib.import_module(modname)
    assert isinstance(mod.METHODS, dict) and (mod.METHODS or mod.__all__), f"{modname} declares nothing"
    for name, fn in mod.METHODS.items():
        assert getattr(ag.Tensor, name) is fn or isinstance(fn, property), name
    if modname.startswith("autograd_core.ops."):
        for name in mod.__all__:
            assert getattr(ag, name) is getattr(mod, name), f"ag.{name} is not {modname}.{name}"
    for uf, fn in getattr(mod, "UFUNCS", {}).items():
        assert isinstance(uf, np.ufunc) and _methods.UFUNCS[uf] is fn


def test_a_method_declared_twice_is_refused():
    import types

    a = types.SimpleNamespace(__name__="fam_a", METHODS={"twice": lambda self: 1})
    b = types.SimpleNamespace(__name__="fam_b", METHODS={"twice": lambda self: 2})
    with pytest.raises(RuntimeError, match=r"Tensor\.twice is declared by both fam_a and fam_b"):
        _methods._assemble((a, b), type("Fresh", (), {}))
    own = types.SimpleNamespace(__name__="fam_c", METHODS={"shape": lambda self: 3})
    with pytest.raises(RuntimeError, match=r"Tensor\.shape declared by fam_c would replace the data model's own"):
        _methods._assemble((own,), ag.Tensor)
    assert isinstance(vars(ag.Tensor)["shape"], property)  # refused before anything was bound


def test_the_tensor_stub_matches_the_assembled_class():
    from autograd_core import _stubgen

    stub = _stubgen.STUB.read_text()
    assert stub == _stubgen.generate(), "autograd_core/_tensor.pyi is stale: run python -m autograd_core._stubgen"
    tree = ast.parse(stub)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    in_stub = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    runtime = {k for k, v in vars(ag.Tensor).items() if callable(v) or isinstance(v, property)}
    assert runtime - {"__init_subclass__", "__subclasshook__"} <= in_stub
    exp = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "exp")
    assert [a.arg for a in exp.args.args] == ["self"] and ast.unparse(exp.returns) == "Tensor"
    assert (ROOT / "autograd_core" / "py.typed").exists()


# ---------------------------------------------------------------------- the engine's two loops and buffers
def _sample_graphs():
    for info in OPS:
        for k, s in enumerate(info.samples(np.random.default_rng(0))):
            yield pytest.param(info, k, id=f"{info.name}-{s.name or k}")


def _run(info, k, general: bool):
    s = info.samples(np.random.default_rng(0))[k]
    xs = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in s.args]
    outs = info.op(*xs, **s.kwargs)
    outs = tuple(outs) if isinstance(outs, (tuple, list)) else (outs,)
    rng = np.random.default_rng(3)
    us = [rng.standard_normal(o.shape) for o in outs]
    prev, _engine.FORCE_GENERAL_LOOP = _engine.FORCE_GENERAL_LOOP, general
    try:
        ag.backward(outs, us)
    finally:
        _engine.FORCE_GENERAL_LOOP = prev
    return [None if x.grad is None else x.grad.data for x in xs]


@pytest.mark.parametrize("info,k", list(_sample_graphs()))
def test_fast_and_general_backward_loops_give_identical_gradients(info, k):
    fast, general = _run(info, k, False), _run(info, k, True)
    for a, b in zip(fast, general):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)  # bitwise: the same arithmetic in the same order


def _arrays_of(node) -> list[np.ndarray]:
    """Every array the node holds: saved inputs and outputs, the inputs' data, its attributes."""
    out = []
    for a in node._arrays or ():
        if isinstance(a, np.ndarray):
            out.append(a)
    saved_out = node._out
    if saved_out is not None:
        out += [e[0] for e in (saved_out if isinstance(saved_out, tuple) and isinstance(saved_out[0], tuple)
                               else (saved_out,))]
    for t in node.inputs or ():
        if isinstance(t, ag.Tensor):
            out.append(t.data)
    for v in vars(node).values():
        if isinstance(v, np.ndarray):
            out.append(v)
    return out


def test_ops_that_declare_fresh_gradients_return_memory_nobody_else_holds():
    # fresh_grads lets a leaf keep the array as its .grad without a copy; a wrong claim would make two
    # .grad tensors (or a .grad and a saved value) share memory, so check it on every op-table sample.
    checked, problems = set(), []

    class Check(ag.BackwardObserver):
        def on_node(self, node, grads):
            if not type(node).fresh_grads or any(isinstance(g, ag.Tensor) for g in grads):
                return  # (a create_graph pass: Tensors, never kept as .grad without a copy)
            res = node.backward(*grads)
            res = res if isinstance(res, tuple) else (res,)
            arrays = [r for r in res if r is not None]
            held = _arrays_of(node) + [g for g in grads if isinstance(g, np.ndarray)]
            for i, r in enumerate(arrays):
                if isinstance(r, np.generic):
                    continue  # a numpy scalar (0-d arithmetic): its own value, copied into .grad anyway
                if not isinstance(r, np.ndarray):
                    problems.append(f"{node.name()}: gradient {i} is a {type(r).__name__}")
                    continue
                if any(np.shares_memory(r, h) for h in held):
                    problems.append(f"{node.name()}: gradient {i} shares memory with a saved value or incoming grad")
                if any(np.shares_memory(r, o) for o in arrays[i + 1:] if isinstance(o, np.ndarray)):
                    problems.append(f"{node.name()}: two gradients share memory")
            checked.add(type(node).__name__)

    with ag.observe(Check()):
        for info in OPS:
            for s in info.samples(np.random.default_rng(0)):
                xs = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in s.args]
                outs = info.op(*xs, **s.kwargs)
                outs = tuple(outs) if isinstance(outs, (tuple, list)) else (outs,)
                ag.backward(outs, [np.random.default_rng(1).standard_normal(o.shape) for o in outs])
                if info.gradgrad:  # the grad-ops (Conv2dGradWeight ...) run their backward only here
                    xs = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in s.args]
                    outs = info.op(*xs, **s.kwargs)
                    outs = tuple(outs) if isinstance(outs, (tuple, list)) else (outs,)
                    us = [ag.ones_like(o, requires_grad=True) for o in outs]
                    live = [g for g in ag.grad(outs, xs, us, create_graph=True, allow_unused=True)
                            if g is not None and g.requires_grad]
                    if live:
                        ag.grad([g.sum() for g in live], xs + us, allow_unused=True)
    assert not problems, problems
    claimed = {c.__name__ for c in _function_classes() if c.fresh_grads}
    assert claimed <= checked, f"fresh_grads claimed but never checked: {claimed - checked}"


def test_a_gradient_the_user_or_a_hook_holds_is_never_kept_as_grad():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    seed = np.array([3.0, 4.0])
    x.backward(seed)  # the seed reaches the leaf unchanged
    assert not np.shares_memory(x.grad.data, seed)
    mine = np.array([5.0, 6.0])
    w = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    w.register_hook(lambda g: ag.tensor(mine))
    (w * 3.0).sum().backward()
    assert not np.shares_memory(w.grad.data, mine)
    np.testing.assert_array_equal(w.grad.data, mine)
    # a hook that returns None was still shown the gradient and may keep it: copied too (PyTorch copies
    # a buffer whose use count is above one)
    v = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    kept = []
    v.register_hook(lambda g: kept.append(g))
    (v * 3.0).sum().backward()
    assert not np.shares_memory(kept[0].data, v.grad.data)
    # with nobody else holding it, a fresh gradient becomes .grad without a copy (Mul declares fresh_grads)
    u = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    seen = []

    class Spy(ag.BackwardObserver):  # observers disable the reuse, so look from inside Mul's backward
        pass

    orig = type((u * 3.0).grad_fn).backward

    def spying(self, g):
        res = orig(self, g)
        seen.append(res[0])
        return res

    mul_cls = type((u * 3.0).grad_fn)
    mul_cls.backward = spying
    try:
        (u * 3.0).sum().backward()
    finally:
        mul_cls.backward = orig
    assert seen and seen[0] is u.grad._data


def test_signatures_of_the_stub_follow_the_functions():
    # a method's stub signature is its function's, first parameter renamed self
    from autograd_core import _stubgen

    w = _stubgen._Writer()
    assert w.signature("clamp", ag.clamp).startswith("def clamp(self, min: ")
    assert inspect.signature(ag.Tensor.gather).parameters.keys() >= {"dim", "index"}
