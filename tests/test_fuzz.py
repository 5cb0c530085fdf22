"""Differential fuzzing against PyTorch (tests/fuzz): a fixed-seed slice plus coverage checks.

Every program's seed is in the test id (``seeds_<first>_<last>``); rerun one program with
``python -m tests.fuzz --seed S --programs 1 -v``. A failing chunk prints shrunk standalone
reproducers for its first failures and a one-line summary for the rest. The long run is
``python -m tests.fuzz --programs 30000 --seed 0``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fuzz import known as fuzz_known  # noqa: E402
from fuzz.__main__ import forced_op  # noqa: E402
from fuzz.ops import REGISTRY  # noqa: E402
from fuzz.program import api_names, check, fmt_failures, generate, reproducer, shrink  # noqa: E402

import autograd_core as ag  # noqa: E402

CI_PROGRAMS = 3000  # ~70 s on one core when nothing fails (about 20 ms a program)
CHUNK = 100
SHRINK_PER_CHUNK = 2  # shrinking costs up to seconds per failure; the rest are listed by seed
CHUNKS = [(s, min(s + CHUNK, CI_PROGRAMS)) for s in range(0, CI_PROGRAMS, CHUNK)]


@pytest.mark.parametrize("first,end", CHUNKS, ids=[f"seeds_{a}_{b - 1}" for a, b in CHUNKS])
def test_fuzz_slice_matches_pytorch(first: int, end: int) -> None:
    fails, shown = [], 0
    for seed in range(first, end):
        res = check(generate(seed, force=forced_op(seed)))
        if res.status != "fail":
            continue
        if shown < SHRINK_PER_CHUNK:
            shown += 1
            fails.append(f"--- seed {seed}: {fmt_failures(res)[:500]}\nshrunk reproducer:\n{reproducer(shrink(res))}")
        else:
            fails.append(f"--- seed {seed} {res.prog.ops()}: {fmt_failures(res)[:300]}")
    assert not fails, f"{len(fails)} of {end - first} programs differ from PyTorch:\n" + "\n".join(fails)


# ---------------------------------------------------------------------- coverage
def test_every_registry_op_is_drawn_in_the_ci_slice() -> None:
    # Program k tries op k % len(REGISTRY) first, so the first len(REGISTRY) seeds must contain every op.
    assert CI_PROGRAMS >= len(REGISTRY)
    missing = [spec.name for seed, spec in enumerate(REGISTRY)
               if spec.name not in generate(seed, force=spec.name).ops()]
    assert not missing, f"ops the generator could not place in their forced program: {missing}"


# Function classes the fuzzer cannot reach through PyTorch-comparable programs, with the reason.
EXCLUDED_FUNCTIONS = {
    "MaxPoolGather": "third derivative of max_pool2d only (the fuzzer stops at second order); "
                     "tests/test_kernels.py::test_maxpool_third_order",
    "SegmentSum": "sparse COO products and to_dense (the fuzzer builds dense inputs only): tests/test_sparse.py",
    "BackwardHook": "nn.Module backward hooks' identity node, not an op: "
                    "tests/test_torch_api.py::test_module_backward_hooks_see_and_replace_gradients_as_pytorch",
    **{c: "the fused recurrence of nn.LSTM/GRU/RNN and their cells (no torch.<name> the fuzzer can call): "
          "op-table rows lstm/gru/rnn_tanh/rnn_relu _sequence and _cell in tests/op_db_attention.py (vs torch's "
          "cells, gradgrad) and tests/test_nn_rnn.py (layers vs torch)"
       for c in ("LSTMSequence", "LSTMCellFused", "GRUSequence", "GRUCellFused", "RNNSequence", "RNNCellFused")},
}
# Public names with a torch counterpart that are not ops (creation, modes, I/O) or not comparable.
EXCLUDED_API = {
    "M.Tensor": "the class", "M.dtype": "the dtype type", "M.tensor": "creation (the runner builds inputs itself)",
    "M.as_tensor": "creation", "M.from_numpy": "creation (used for every input)", "M.arange": "creation",
    "M.empty": "creation (uninitialised)", "M.empty_like": "creation (uninitialised)", "M.full": "creation",
    "M.full_like": "creation", "M.linspace": "creation", "M.ones": "creation", "M.ones_like": "creation",
    "M.zeros_like": "creation", "M.rand": "random creation: streams differ by design",
    "M.rand_like": "random", "M.randint": "random", "M.randn": "random", "M.randn_like": "random",
    "M.randperm": "random", "M.manual_seed": "random state", "M.enable_grad": "grad mode (tests/test_engine.py)",
    "M.no_grad": "grad mode", "M.set_grad_enabled": "grad mode", "M.is_grad_enabled": "grad mode",
    "M.is_anomaly_enabled": "anomaly mode", "M.get_default_dtype": "global state",
    "M.set_default_dtype": "global state", "M.load": "serialization (tests/test_serialization_and_data.py)",
    "M.save": "serialization", "M.allclose": "returns a Python bool (tests/test_ops.py)",
    "M.equal": "returns a Python bool (tests/test_ops.py)",
    ".backward": "the runner calls grad(); backward is engine API (tests/test_engine.py)",
    ".register_hook": "engine API", ".retain_grad": "engine API", ".retains_grad": "engine API",
    ".requires_grad_": "used for every input", ".requires_grad": "compared for every output",
    ".detach_": "in-place detach of a graph value: engine API (tests/test_engine.py)", ".numpy": "conversion",
    ".item": "conversion", ".tolist": "conversion", ".size": "introspection", ".dim": "introspection",
    ".numel": "introspection", ".nelement": "introspection", ".element_size": "introspection",
    ".is_floating_point": "introspection", ".cpu": "device no-op", ".data": "engine API",
    ".grad": "engine API (compared through grad())", ".grad_fn": "engine API", ".is_leaf": "engine API",
    ".ndim": "introspection",
    ".device": "introspection", ".name": "not a torch op (torch.Tensor.name is a named-tensor attribute)",
    ".allclose": "returns a Python bool", ".equal": "returns a Python bool",
    ".half": "float16: numpy's and torch's half arithmetic round differently by design",
}
# PyTorch's device, legacy and process API: not ops; each is checked against torch in tests/test_torch_api.py
_API_TESTS = "tests/test_torch_api.py"
EXCLUDED_API.update({f"M.{n}": f"legacy constructor ({_API_TESTS})" for n in (
    "BoolTensor ByteTensor CharTensor DoubleTensor FloatTensor HalfTensor IntTensor LongTensor ShortTensor").split()})
EXCLUDED_API.update({f"M.{n}": f"process/device state, not an op ({_API_TESTS})" for n in (
    "Generator Size device compile finfo iinfo get_default_device set_default_device "
    "are_deterministic_algorithms_enabled "
    "use_deterministic_algorithms get_float32_matmul_precision set_float32_matmul_precision get_num_threads "
    "set_num_threads get_num_interop_threads set_num_interop_threads get_rng_state set_rng_state seed initial_seed "
    "inference_mode is_inference_mode_enabled set_printoptions autocast is_autocast_enabled").split()})
EXCLUDED_API.update({f"M.{n}": f"random: streams differ by design ({_API_TESTS})" for n in
                     ("multinomial", "normal", "bernoulli", "poisson")})
EXCLUDED_API.update({f"M.{n}": f"returns a Python value or dtype, not a tensor ({_API_TESTS})" for n in
                     ("is_tensor", "is_floating_point", "is_complex", "numel", "result_type", "promote_types",
                      "can_cast")})
EXCLUDED_API["M.asarray"] = "creation (as M.as_tensor)"
EXCLUDED_API.update({f"M.{n}": f"creation ({_API_TESTS})" for n in ("logspace", "tril_indices", "triu_indices")})
EXCLUDED_API[".resolve_conj"] = "identity (no lazy conjugation here): tests/test_torch_api.py complex tests"
EXCLUDED_API.update({f".{n}_": f"in-place shape change ({_API_TESTS}::test_in_place_shape_changes_and_fill_diagonal_"
                     "match_pytorch)" for n in ("unsqueeze", "squeeze", "t", "transpose", "swapaxes", "swapdims",
                                                "fill_diagonal")})
EXCLUDED_API.update({n: "sparse COO (the fuzzer builds dense inputs only): tests/test_sparse.py" for n in (
    "M.sparse_coo_tensor", "M.spmm", ".to_sparse", ".to_sparse_coo", ".to_dense", ".is_sparse", ".layout")})
EXCLUDED_API.update({f".{n}": f"random in-place fill: streams differ by design ({_API_TESTS})" for n in (
    "normal_ uniform_ bernoulli_ bernoulli exponential_ log_normal_ cauchy_ geometric_ random_ multinomial").split()})
EXCLUDED_API.update({f".{n}": f"device/memory introspection, not an op ({_API_TESTS})" for n in (
    "cuda is_cuda is_contiguous stride storage_offset data_ptr share_memory_ is_shared pin_memory is_pinned "
    "type is_cpu is_meta is_mps is_xpu is_quantized is_inference is_complex is_signed is_same_size itemsize nbytes "
    "ndimension get_device is_nonzero new apply_ map_ byte char short cfloat cdouble").split()})
EXCLUDED_API.update({f".{n}": f"creation from a tensor's dtype ({_API_TESTS})" for n in (
    "new_zeros new_ones new_empty new_full new_tensor").split()})

# Families in their own registry files list their own exclusions there.
from fuzz import (  # noqa: E402
    ops_attention,
    ops_contraction,
    ops_layers,
    ops_linalg_more,
    ops_math,
    ops_nn,
    ops_nn_extra,
    ops_special,
    ops_statistics,
    ops_surface,
    ops_tensor,
)

for _family in (ops_attention, ops_contraction, ops_layers, ops_linalg_more, ops_math, ops_nn, ops_nn_extra,
                ops_special, ops_statistics, ops_surface, ops_tensor):
    EXCLUDED_API.update(getattr(_family, "EXCLUDED_API", {}))


def _function_classes() -> set[str]:
    out, stack = set(), [ag.Function]
    while stack:
        c = stack.pop()
        for s in c.__subclasses__():
            stack.append(s)
            if s.__module__.startswith("autograd_core") and not s.__name__.startswith("_"):
                out.add(s.__name__)
    return out


def _public_api() -> set[str]:
    """Every public autograd_core function / linalg / nn.functional / Tensor method with a torch twin."""
    import autograd_core.nn.functional as agF

    names = {f"M.{n}" for n in ag.__all__ if callable(getattr(ag, n)) and hasattr(torch, n)}
    names |= {f"LA.{n}" for n in dir(ag.linalg) if not n.startswith("_") and callable(getattr(ag.linalg, n))
              and hasattr(torch.linalg, n) and n[0].islower()}
    names |= {f"F.{n}" for n in agF.__all__ if hasattr(torch.nn.functional, n)}
    names |= {f".{n}" for n in dir(ag.Tensor) if not n.startswith("_") and hasattr(torch.Tensor, n)}
    ops = ("add sub mul truediv pow matmul floordiv mod and or xor radd rsub rmul rtruediv rpow neg abs invert eq ne "
           "lt le gt ge getitem setitem iadd isub imul itruediv ipow").split()
    names |= {f"__{o}__" for o in ops if f"__{o}__" in vars(ag.Tensor) and hasattr(torch.Tensor, f"__{o}__")}
    return names


def _drawn_api(required: set[str], max_programs: int = 12000) -> set[str]:
    """API names in the sources of the CI programs (stops once everything required was seen)."""
    used: set[str] = set()
    for seed in range(max_programs):
        used |= api_names(generate(seed, force=forced_op(seed)).source())
        if required <= used:
            break
    return used


def test_registry_covers_every_function_class_and_public_api() -> None:
    seen: set[str] = set()

    class Rec(ag.BackwardObserver):
        def on_node(self, node, grads):
            seen.add(type(node).__name__)

    # Every op at least 4 times (forward, first and second derivatives), recording the nodes backward visits,
    # and more rounds (up to 12) while some class has not been differentiated through: a grad-op such as
    # MaxPoolScatter runs only in a float64 program's second derivative, which 4 draws can all miss.
    wanted = _function_classes() - set(EXCLUDED_FUNCTIONS)
    with ag.observe(Rec()):
        for seed in range(12 * len(REGISTRY)):
            if seed >= 4 * len(REGISTRY) and wanted <= seen:
                break
            check(generate(seed, force=forced_op(seed)))
    missing_fn = wanted - seen
    required = _public_api() - set(EXCLUDED_API)
    missing_api = required - _drawn_api(required)
    assert not missing_fn, f"Function classes no fuzz program differentiated through: {sorted(missing_fn)}"
    assert not missing_api, f"public API with a torch counterpart that the fuzzer never calls: {sorted(missing_api)}"


def test_generator_draws_the_input_kinds_the_design_asks_for() -> None:
    progs = [generate(seed, force=forced_op(seed)) for seed in range(300)]
    inputs = [i for p in progs for i in p.inputs]
    arrays = [i.array() for i in inputs]
    drawn = {
        "float32": any(a.dtype == np.float32 for a in arrays), "float64": any(a.dtype == np.float64 for a in arrays),
        "int": any(a.dtype == np.int64 for a in arrays), "bool": any(a.dtype == np.bool_ for a in arrays),
        "0-d": any(a.ndim == 0 for a in arrays), "size-1 dim": any(1 in a.shape for a in arrays),
        "zero-size": any(a.size == 0 for a in arrays), "non-contiguous": any(i.view for i in inputs),
        "fan-out": any(len(p.nodes) > len({a for n in p.nodes for a in n.args}) or len(p.outputs) > 1 for p in progs),
        "long chain": any(len(p.nodes) >= 5 for p in progs),
        # (which seeds hold an error program moves as ops are added: look through all 300)
        "error program": any(check(p).theirs.error is not None for p in progs),
    }
    assert all(drawn.values()), f"never drawn: {[k for k, v in drawn.items() if not v]}"


def test_known_differences_have_reasons() -> None:
    ids = [k.id for k in fuzz_known.KNOWN]
    assert len(ids) == len(set(ids))
    for k in fuzz_known.KNOWN:
        assert len(k.reason) > 40, f"known difference {k.id} needs a real reason"


def test_comparer_catches_planted_differences() -> None:
    # The comparison itself: a wrong value, NaN position, dtype and exception type must all be caught.
    from fuzz.program import compare_arrays

    a = np.array([1.0, 2.0, np.nan])
    assert compare_arrays(a, a.copy(), "float64") is None
    assert compare_arrays(a + [0, 1e-5, 0], a, "float64") is not None
    assert compare_arrays(np.array([1.0, 2.0, 3.0]), a, "float64") is not None
    assert compare_arrays(np.ones(3, np.float32) * (1 + 1e-6), np.ones(3, np.float32), "float32") is None
    assert compare_arrays(np.array([1, 2]), np.array([1, 3]), "int64") is not None


def test_runner_catches_planted_library_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    # End to end: a wrong forward value, a wrong gradient and a missing error must each fail a program.
    orig_exp, orig_sin = ag.Tensor.exp, ag.Tensor.sin

    def bad_exp(x):
        return orig_exp(x) * 1.001

    def bad_sin_grad(x):  # right value, gradient scaled by 0.5
        return orig_sin(x.detach()) + (x - x.detach()) * 0.5 * x.detach().cos()

    def first_program(op: str, pred) -> object:
        for seed in range(200):
            p = generate(seed, force=op, max_ops=1)
            if p.ops() == [op] and p.nodes[0].params.get("form") == "method" and pred(p):
                return p
        raise AssertionError(f"no single-op {op} program found")

    exp_prog = first_program("exp", lambda p: check(p).theirs.outs and check(p).theirs.outs[0][0].size > 0)
    sin_prog = first_program("sin", lambda p: any(i.rg for i in p.inputs) and p.inputs[0].base.size > 0)
    monkeypatch.setattr(ag.Tensor, "exp", bad_exp)
    monkeypatch.setattr(ag.Tensor, "sin", bad_sin_grad)
    assert {f.kind for f in check(exp_prog).failures} >= {"forward:value"}
    assert "grad:value" in {f.kind for f in check(sin_prog).failures}
    monkeypatch.setattr(ag.Tensor, "sin", lambda x: x[10 ** 6:])  # a silently wrong shape
    assert any(f.kind in ("forward:shape", "forward:value") for f in check(sin_prog).failures)
