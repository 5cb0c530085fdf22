"""Known differences from PyTorch that the comparer applies explicitly (counted as 'known').

Each entry is a torch-side bug or a deliberate, documented design difference, with its reason.
A library bug never belongs here: it is a failure until it is fixed. Entries match narrowly
(failure kind + the op that causes it) so that they cannot hide anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# torch-side bugs the runner works around (they would crash or mislead the comparison itself):
RUNNER_WORKAROUNDS = {
    "zerotensor-numpy-segfault": "torch 2.13 CPU: a second-derivative result that is a ZeroTensor view "
    "(e.g. of linalg.norm(concat([x0, x1], 1), -1, (-2, -1)) with amin) segfaults in .numpy(force=True); "
    "program.Engine.np materialises ZeroTensors as np.zeros instead.",
    "maxpool-padding-only-window-heap-corruption": "torch 2.13 CPU: max_pool2d's backward writes the gradient "
    "of a window that covers only padding (possible with dilation or ceil_mode) to an index outside the plane, "
    "corrupting the heap (seen as 'malloc(): unaligned tcache chunk detected'); ops._pool_gen does not draw such "
    "max-pool configurations. autograd_core's behaviour there (-inf, no gradient) is tested against torch's "
    "forward in tests/test_kernels.py and tests/test_kernel_sweeps.py.",
}


@dataclass
class Known:
    id: str
    reason: str
    applies: Callable[[Any, Any, Any, Any], bool]  # (program, failure, ours, theirs) -> bool


def _downstream_of(prog: Any, name: str, op: str) -> bool:
    """Whether value ``name`` is computed from an output of an ``op`` node."""
    frontier, seen = {name}, set()
    while frontier:
        v = frontier.pop()
        seen.add(v)
        for n in prog.nodes:
            if v in n.outs:
                if n.op == op:
                    return True
                frontier |= set(n.args) - seen
    return False


KNOWN: list[Known] = []


def _copies_run(prog: Any, theirs: Any) -> Any:
    """torch's run of the program keeping a copy of every saved value (see below), or None."""
    import torch

    from .program import FLOATS, run_engine

    if theirs is None:
        return None
    sel = [(k, o[0].shape, o[1]) for k, o in enumerate(theirs.outs) if o is not None and o[2] and o[1] in FLOATS]
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        return run_engine(prog, "torch", sel=sel)


def _copies_run_error(prog: Any, theirs: Any, text: str) -> bool:
    ref = _copies_run(prog, theirs)
    return ref is not None and ref.error is not None and text in str(ref.error[1])


def _confirmed_by_torch_keeping_copies(prog: Any, ours: Any, theirs: Any) -> bool:
    """Whether our first gradients equal torch's when torch keeps a private copy of every value its
    backward saves (saved_tensors_hooks that clone at save time): that is torch computing the gradient
    of the same program with the values as they were when each op ran, which is what our backward does.
    (A finite difference is no oracle here: gradient conventions such as embedding's padding_idx differ
    from the true derivative.) Only then is a missing in-place error benign."""
    from .program import compare_arrays

    if ours is None or ours.grads is None or ours.error is not None or theirs is None:
        return False
    ref = _copies_run(prog, theirs)
    if (ref is None or ref.grads is None or (ref.error is not None and ref.error[0] == "grad")
            or len(ref.grads) != len(ours.grads)):
        return False
    for o, t in zip(ours.grads, ref.grads):
        if o is None or t is None:
            if (o is None) != (t is None) and np.any((o or t)[0] != 0):
                return False
            continue
        if o[0].shape != t[0].shape or compare_arrays(o[0], t[0], t[1]) is not None:
            return False
    return True


KNOWN.append(Known(
    "inplace-of-a-value-ours-does-not-save",
    "torch raised 'modified by an inplace operation' in backward because its backward reads a value (an "
    "op's output, e.g. of amax, prod, relu, pow, sigmoid) that the program later changed in place; "
    "autograd_core's backward for that op reads only values it kept (its inputs, or masks and weights taken "
    "during the forward), so it returns the gradient instead. Counted as known only after our gradient "
    "equals torch's when torch keeps copies of the values it saves (_confirmed_by_torch_keeping_copies); "
    "the reverse case (ours raising where torch does not) is a failure.",
    lambda prog, f, o, t: f.kind == "grad:missing_error" and "modified by an inplace operation" in f.detail
    and _confirmed_by_torch_keeping_copies(prog, o, t),
))

def _torch_gg_none_ours_nan(prog: Any, f: Any, ours: Any, theirs: Any) -> bool:
    names = [i.name for i in prog.inputs if i.rg]
    if f.where not in names or ours is None or theirs is None or ours.gg is None or theirs.gg is None:
        return False
    k = names.index(f.where)
    og = ours.gg[k]
    if og is None:
        return False
    if theirs.gg[k] is None:
        return bool(np.isnan(og[0]).all())
    # where the second derivatives differ, the first derivative is already nan in both engines (undefined)
    g1o, g1t = ours.grads[k] if ours.grads else None, theirs.grads[k] if theirs.grads else None
    if g1o is None or g1t is None or g1t[0].shape != og[0].shape:
        return False
    tg = theirs.gg[k][0]
    differ = np.isnan(og[0]) != np.isnan(tg)
    return bool(differ.any() and (np.isnan(g1o[0]) & np.isnan(g1t[0]))[differ].all())


KNOWN.append(Known(
    "var-zero-dof-double-backward",
    "torch 2.13: where var/std divide by n - correction = 0, the first gradient is nan (2/0 times x - mean) in "
    "both libraries, but torch's double backward then records no dependence on x (returns None, read as 0) "
    "(or 0 at those elements) while autograd_core differentiates the nan first gradient and returns nan. The "
    "derivative is undefined there; matched only where the first derivative is nan in both engines (or torch "
    "returned None and ours is all nan), in a program with var/std.",
    lambda prog, f, o, t: f.kind == "gradgrad:value" and any(n.op == "var_std" for n in prog.nodes)
    and _torch_gg_none_ours_nan(prog, f, o, t),
))

KNOWN.append(Known(
    "fill-of-overlapping-memory-raises-later-in-torch",
    "torch 2.13 lets fill_/zero_ write into a tensor whose elements share memory (made by expand) and raises "
    "'unsupported operation: more than one element of the written-to tensor refers to a single memory "
    "location' only when backward reaches it; autograd_core raises the same RuntimeError with the same "
    "message at the write itself (our expanded tensors are read-only: README, Semantics), also where torch, "
    "without a backward to reach the write, never raises. Matched only for that error at a fill_/zero_, when torch "
    "raised that message in a later phase or raised nothing at all (fuzz seed 233899).",
    lambda prog, f, o, t: f.kind == "forward:raised" and "more than one element of the written-to tensor" in f.detail
    and (_torch_error(t, "more than one element of the written-to tensor")
         or (t is not None and t.error is None and ("fill_" in f.detail or "zero_" in f.detail))),
))

KNOWN.append(Known(
    "huber-mixed-dtype-backward",
    "torch 2.13 bug: huber_loss of a float32 input and a float64 target returns a float32 loss (as ours) but "
    "its backward then raises 'Found dtype Double but expected Float'; autograd_core differentiates it (the "
    "target is cast to the input's dtype, as torch's forward does).",
    lambda prog, f, o, t: f.kind == "grad:missing_error" and "Found dtype Double but expected Float" in f.detail
    and any(n.op == "regression_losses" for n in prog.nodes),
))
KNOWN.append(Known(
    "linalg-output-layout",
    "torch returns LAPACK results (cholesky, qr, eigh, svd factors, solve(left=False)) in column-major layout, "
    "so reshape/flatten of them copies there, while ours are row-major and reshape returns a view: an in-place "
    "write through that reshape then reaches the saved factor in ours (and raises PyTorch's in-place error in "
    "backward, as PyTorch itself would for a true view) but not in torch. Matched only for that error naming a "
    "linalg backward, in a program with a reshape-like op.",
    lambda prog, f, o, t: f.kind == "grad:raised" and "modified by an inplace operation" in f.detail
    and any(n.op in ("linalg_unary", "factorizations") and "cholesky" in n.source() or n.op == "factorizations"
            for n in prog.nodes)
    and any(n.op in ("reshape", "flatten") for n in prog.nodes),
))
def _torch_grads_change_with_copies(prog: Any, theirs: Any) -> bool:
    """Whether torch's gradients change when it keeps copies of what it saves: then torch's own backward read a
    value the program had changed in place since, without the error its version counters exist to raise."""
    from .program import compare_arrays

    ref = _copies_run(prog, theirs)
    if ref is None or ref.grads is None or theirs is None or theirs.grads is None:
        return False
    return any(a is not None and b is not None and a[0].shape == b[0].shape and compare_arrays(a[0], b[0], b[1])
               is not None for a, b in zip(theirs.grads, ref.grads))


KNOWN.append(Known(
    "kron-unsafe-view-inplace",
    "torch 2.13 bug: torch.kron reshapes its operands with _unsafe_view, which autograd does not track as views, "
    "so an in-place change of kron's input after the call is not detected: torch's backward silently reads the "
    "changed value and returns a wrong gradient. autograd_core raises PyTorch's 'modified by an inplace "
    "operation' error there, as torch does for every tracked view. Matched only for that error in a program with "
    "kron, and only when torch's gradient changes once torch keeps copies of its saved values (the proof that "
    "torch read a modified value).",
    lambda prog, f, o, t: f.kind == "grad:raised" and "modified by an inplace operation" in f.detail
    and any(n.op == "combine" and "kron(" in n.source() for n in prog.nodes)
    and _torch_grads_change_with_copies(prog, t),
))
KNOWN.append(Known(
    "setitem-into-expanded-memory",
    "deliberate difference: torch 2.13 still lets x[index] = v write into a tensor made by expand (memory shared "
    "by several elements), with 'UserWarning: Use of index_put_ on expanded tensors is deprecated. Please clone() "
    "the tensor'; autograd_core's expanded tensors are read-only and the write raises the error torch gives for "
    "other writes to such memory, with the same fix. Matched only for that error at a setitem, in a program "
    "with expand / broadcast_to.",
    lambda prog, f, o, t: f.kind == "forward:raised" and "made by expand/broadcast_to" in f.detail
    and "__setitem__" in f.detail and any(n.op in ("expand", "broadcast_to") for n in prog.nodes),
))
KNOWN.append(Known(
    "det-second-derivative-at-singular",
    "documented limitation (README, linalg): det's gradient at a singular matrix is the cofactor matrix, "
    "computed from an SVD; its derivative there is not implemented and raises a LinAlgError that says so, "
    "where torch returns values.",
    lambda prog, f, o, t: f.kind == "grad:raised" and "second derivative at a singular matrix" in f.detail,
))

KNOWN.append(Known(
    "reversed-input-layout",
    "torch has no negative strides, so an input the fuzzer makes non-contiguous by reversal (view '::-1') is a "
    "contiguous copy in torch and a reversed view in ours; view() of it (or of values that keep its layout) "
    "then needs a copy in ours and raises PyTorch's own 'view size is not compatible' error, which torch "
    "would raise too for that layout. Other non-contiguous inputs have the same strides in both engines.",
    lambda prog, f, o, t: f.kind == "forward:raised" and "view size is not compatible" in f.detail
    and any("::-1" in i.view for i in prog.inputs),
))

def _torch_contiguous_agrees(prog: Any, f: Any, ours: Any, theirs: Any) -> bool:
    """Whether torch, given contiguous copies of the permuted inputs, produces our value for the failing
    tensor: then the difference comes from torch's handling of that memory layout, not from us."""
    from .program import FLOATS, _pairs, compare_arrays, run_engine

    if theirs is None or ours is None or not any(i.view.startswith(".transpose(") for i in prog.inputs):
        return False
    sel = [(k, o[0].shape, o[1]) for k, o in enumerate(theirs.outs) if o is not None and o[2] and o[1] in FLOATS]
    ref = run_engine(prog, "torch", sel=sel, contiguous=True)
    phase = f.kind.split(":")[0]
    for ph, n, o, t in _pairs(ours, ref, prog):
        if ph == phase and n == f.where:
            if o is None or t is None:
                return False
            a, b = (o[0], t[0])
            return a.shape == b.shape and compare_arrays(a, b, t[1]) is None
    return False


KNOWN.append(Known(
    "torch-permuted-layout-bug",
    "torch 2.13 bug: for some permuted (non-contiguous, ambiguous-format) inputs torch's kernels return wrong "
    "values, e.g. batch_norm(training=False)'s input gradient for an input with strides (2, 1, 1, 2) comes back "
    "with strides (6, 1, 6, 2) and its elements permuted (tests/test_fidelity_core.py checks ours against the "
    "closed form). Matched only when torch, given contiguous copies of the same inputs, agrees with ours.",
    lambda prog, f, o, t: f.kind.endswith(":value") and _torch_contiguous_agrees(prog, f, o, t),
))

KNOWN.append(Known(
    "einsum-empty-mixed-dtypes",
    "torch 2.13 is inconsistent with itself: einsum of a float64 and a float32 operand raises 'expected scalar "
    "type Double but found Float', except when an operand is empty, where it returns a float32 result; "
    "autograd_core always raises that RuntimeError.",
    lambda prog, f, o, t: f.kind in ("forward:raised", "forward:dtype") and any(n.op == "einsum" for n in prog.nodes)
    and ("expected scalar type" in f.detail or f.kind == "forward:dtype")
    and any(0 in i.array().shape for i in prog.inputs),
))

KNOWN.append(Known(
    "conv-transpose-empty-output",
    "torch 2.13 is inconsistent with itself: its reference conv_transpose2d kernel (float64, and float32 for a "
    "batch of one) refuses an output with no rows or columns ('Output size is too small'), while its oneDNN "
    "path (float32, larger batches) returns an empty tensor. autograd_core always refuses, with the same "
    "message (tests/test_kernel_sweeps.py counts these configurations as torch quirks too).",
    lambda prog, f, o, t: f.kind == "forward:raised" and "Output size is too small" in f.detail
    and any(n.op == "conv_transpose2d" for n in prog.nodes),
))


def _torch_error(theirs: Any, text: str) -> bool:
    return theirs is not None and theirs.error is not None and text in str(theirs.error[1])


KNOWN.append(Known(
    "floor-divide-no-derivative",
    "torch-side limitation: torch.div(..., rounding_mode='floor') (and //) raises 'derivative for "
    "aten::floor_divide is not implemented' in backward, while rounding_mode='trunc' returns a zero "
    "gradient. autograd_core returns the zero gradient for both, which is the derivative almost "
    "everywhere; raising would only make floor division unusable inside differentiated code.",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error")
    and any(n.op == "div_rounding" for n in prog.nodes) and _torch_error(t, "floor_divide"),
))
KNOWN.append(Known(
    "floor-divide-no-derivative-behind-inplace-error",
    "the two torch-side limitations together: torch raised its in-place error first, and the check that "
    "would confirm our gradient (torch keeping copies of saved values) then stops at torch's missing "
    "floor_divide derivative, so the gradient cannot be compared; counted as known, not as a pass.",
    lambda prog, f, o, t: f.kind == "grad:missing_error" and "modified by an inplace operation" in f.detail
    and any(n.op == "div_rounding" for n in prog.nodes) and _copies_run_error(prog, t, "floor_divide"),
))

KNOWN.append(Known(
    "huber-loss-mixed-dtype-backward",
    "torch-side bug (torch 2.13): F.huber_loss of a float32 input and a float64 target computes in the input's "
    "dtype (autograd_core mirrors that forward), but its backward then raises 'Found dtype Double but expected "
    "Float' (or Float/Double); autograd_core's backward casts the gradient back to the target's dtype "
    "(tests/test_torch_api.py::test_huber_loss_with_a_float64_target_differentiates_where_torch_raises). Seed 40863.",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error")
    and any(n.op == "regression_losses" for n in prog.nodes) and (
        _torch_error(t, "Found dtype Double but expected Float") or _torch_error(t, "Found dtype Float but expected "
                                                                                  "Double")),
))

KNOWN.append(Known(
    "prelu-kink-second-derivative",
    "torch 2.13 is inconsistent with itself at x = 0: F.prelu's first derivative there is d/dx = weight (the x <= 0 "
    "branch), but its double backward gives d(d/dx)/dweight = 0 (the x > 0 branch). autograd_core's second "
    "derivatives follow its first ones (1 at x = 0). Seen as fuzz seed 5968; only programs whose prelu input has an "
    "exact zero match.",
    lambda prog, f, o, t: f.kind == "gradgrad:value" and any(n.op == "prelu" for n in prog.nodes)
    and any(i.array().dtype.kind == "f" and np.any(i.array() == 0) for i in prog.inputs),
))


def _std_of_equal_values(ours: Any, theirs: Any) -> bool:
    """Some output is exactly 0 in ours and a rounding residue (below 1e-12) in torch: a std/var of equal values."""
    if ours is None or theirs is None:
        return False
    for a, b in zip(ours.outs, theirs.outs):
        if a is None or b is None or np.shape(a[0]) != np.shape(b[0]):
            continue
        zero = (np.asarray(a[0]) == 0) & (np.abs(np.asarray(b[0])) < 1e-12) & (np.asarray(b[0]) != 0)
        if zero.any():
            return True
    return False


KNOWN.append(Known(
    "std-of-equal-values-rounding",
    "torch 2.13's mean of equal values can be off by an ulp, so its std of them is ~1e-16 instead of 0 and its "
    "gradient there is a rounding artefact (-3.3 or 6.9 for the same input, depending on the path); autograd_core's "
    "deviations are exactly 0 and it gives the minimum-norm subgradient 0 at std = 0 (README, Semantics). Matched "
    "only where an output is exactly 0 in ours and a nonzero residue below 1e-12 in torch, in a program with "
    "var/std. Seen as fuzz seed 21540.",
    lambda prog, f, o, t: f.kind in ("grad:value", "gradgrad:value") and any(n.op == "var_std" for n in prog.nodes)
    and _std_of_equal_values(o, t),
))


def _empty_pixel_shuffle(prog: Any) -> bool:
    return any(n.op == "pixel_shuffle" for n in prog.nodes) and any(i.array().size == 0 for i in prog.inputs)


KNOWN.append(Known(
    "pixel-shuffle-empty-torch",
    "torch 2.13 bugs on empty inputs: pixel_shuffle of a (0, H, W) input returns (0, rH, rW) but its backward "
    "raises 'returned an invalid gradient ... expected shape compatible with [0, H, W]', and pixel_unshuffle of "
    "an empty (N, C, H, 0) input returns the input's shape unchanged (then refuses it in backward); autograd_core "
    "returns the documented shapes and their gradients. Matched only in a program with pixel_(un)shuffle and an "
    "empty input, for torch raising in grad or a shape difference (seeds 121739, 139923).",
    lambda prog, f, o, t: any(n.op == "pixel_shuffle" for n in prog.nodes)
    and (_empty_pixel_shuffle(prog) or _torch_error(t, "pixel_shuffle expects its input's 'channel' dimension")
         or _torch_error(t, "PixelShuffleBackward0 returned an invalid gradient"))
    and f.kind in ("grad:missing_error", "forward:shape", "grad:raised"),
))

def _sign_of_zero_matters(prog: Any) -> bool:
    return any(w in n.source() for n in prog.nodes for w in ("atan2", "arctan2", "copysign", "signbit"))


KNOWN.append(Known(
    "softshrink-sign-of-zero-torch-loops",
    "torch 2.13's softshrink returns +0 in its dead zone from its vectorised loop and x * 0 (-0.0 for a negative "
    "x) from its scalar loop (tensors shorter than two vector registers, and tails), so the sign of those zeros "
    "depends on the element's position, the tensor's size and the CPU's vector width (seen: the first 8 of 15 "
    "float64 values +0, the rest signed); autograd_core gives x * 0 everywhere. The sign shows only through "
    "sign-sensitive ops. Matched only in a program with softshrink and atan2 / copysign / signbit (fuzz seeds "
    "103578, 203800).",
    lambda prog, f, o, t: f.kind in ("forward:value", "grad:value")
    and any(n.op == "softshrink" for n in prog.nodes) and _sign_of_zero_matters(prog),
))

KNOWN.append(Known(
    "unsafe-split-untracked-alias",
    "torch's unsafe_split / unsafe_chunk / unsafe_split_with_sizes return pieces that share the input's memory "
    "without being tracked as views, so an in-place change of a piece changes what other ops saved of the input "
    "without the version-counter error, and torch's backward silently reads the changed values (e.g. nanmedian's "
    "gradient vanishing, fuzz seed 217581). ours shares the memory the same way but its backward uses what the "
    "ops saw. Matched only in a program with an unsafe split and an in-place op, when torch's gradient changes "
    "once torch keeps copies of its saved values (the proof that torch read a modified value).",
    lambda prog, f, o, t: f.kind in ("grad:value", "gradgrad:value")
    and any(n.op == "surface_splits" and "unsafe_" in n.source() for n in prog.nodes)
    and _torch_grads_change_with_copies(prog, t),
))

def _torch_gelsd_agrees(prog: Any, f: Any, ours: Any, theirs: Any) -> bool:
    """Whether torch, with driver 'gelsd' for its gelsy lstsq calls, produces our value for the failing tensor."""
    import copy

    from .program import _pairs, compare_arrays, run_engine

    if ours is None or theirs is None:
        return False
    alt = copy.deepcopy(prog)
    changed = False
    for n in alt.nodes:
        if n.op == "lstsq" and n.params.get("driver") == "gelsy":
            n.params["driver"] = "gelsd"
            changed = True
    if not changed:
        return False
    ref = run_engine(alt, "torch")
    phase = f.kind.split(":")[0]
    for ph, name, o, t in _pairs(ours, ref, prog):
        if ph == phase and name == f.where:
            return o is not None and t is not None and o[0].shape == t[0].shape and \
                compare_arrays(o[0], t[0], t[1]) is None
    return False


KNOWN.append(Known(
    "lstsq-gelsy-tied-columns-torch",
    "torch 2.13's lstsq with driver 'gelsy' (its CPU default, LAPACK's pivoted QR) misjudges the rank of some "
    "matrices with tied columns - a gather that repeats a column, fuzz seeds 208681, 241588, 256828: rank 1 for "
    "[[-0.5, -0.5, -0.5], [-0.7, -0.7, 0.1]], whose rank is 2 - and then returns a 'solution' that does not solve "
    "the system; its own gelsd / gelss / gels drivers, numpy and ours agree on the minimum-norm solution. Matched "
    "only when torch with driver 'gelsd' gives our value for the failing tensor.",
    lambda prog, f, o, t: f.kind in ("forward:value", "grad:value", "gradgrad:value")
    and any(n.op == "lstsq" for n in prog.nodes) and _torch_gelsd_agrees(prog, f, o, t),
))

def _huge_input(prog: Any, bound: float = 1e30) -> bool:
    return any(i.array().dtype.kind == "f" and np.nanmax(np.abs(np.where(np.isfinite(i.array()), i.array(), 0)),
                                                         initial=0) > bound for i in prog.inputs)


KNOWN.append(Known(
    "logcumsumexp-backward-huge-range-torch",
    "torch 2.13's logcumsumexp backward loses the gradient when the scanned values span a huge range: for "
    "x = [11259.8, 7.35e61] and upstream [0.3, 0.7] it returns [0.3, 1.0], where d/dx1 of the outputs is "
    "0.7 (y1 = x1 to every digit, so dy1/dx1 = 1 and dy0/dx1 = 0); autograd_core returns [0.3, 0.7]. Matched only "
    "in a program with logcumsumexp and an input beyond 1e30 in magnitude or the fuzzer's exp(200 x) of one "
    "(fuzz seed 206804).",
    lambda prog, f, o, t: f.kind in ("grad:value", "gradgrad:value")
    and any("logcumsumexp" in n.source() for n in prog.nodes)
    and (_huge_input(prog) or any("* 200).exp()" in n.source() for n in prog.nodes)),
))

KNOWN.append(Known(
    "conv-transpose-empty-output-torch-paths",
    "torch 2.13 is inconsistent with itself on a transposed convolution whose output has zero rows: its native "
    "kernel raises 'Output size is too small' (float64, and the float32 cases of tests/test_kernel_sweeps.py), "
    "its oneDNN path (some float32 shapes) returns an empty tensor; autograd_core always raises that error. "
    "Matched only for that error from a conv_transpose op when torch ran the forward without an error (its "
    "empty result may then fail in its own backward) (fuzz seeds 233434, 256080, 256237, 304604, 618426).",
    lambda prog, f, o, t: f.kind == "forward:raised" and "Output size is too small" in f.detail
    and "conv_transpose" in f.detail and t is not None and (t.error is None or t.error[0] != "forward"),
))

KNOWN.append(Known(
    "pixel-shuffle-memory-format-torch",
    "torch 2.13's pixel_shuffle refuses some strided inputs of more than 4 dims ('Unsupported memory format. "
    "Supports only ChannelsLast, Contiguous', e.g. a (1, 2, 1, 1, 1) permutation with upscale factor 1) that "
    "it accepts once made contiguous; autograd_core computes them. Matched only for that torch error in a "
    "program with pixel_shuffle (fuzz seed 639410).",
    lambda prog, f, o, t: f.kind == "forward:missing_error" and any(n.op == "pixel_shuffle" for n in prog.nodes)
    and _torch_error(t, "Unsupported memory format"),
))

def _huge_torch_grad(theirs: Any) -> bool:
    return theirs is not None and theirs.grads is not None and any(
        g is not None and np.size(g[0]) and np.nanmax(np.abs(np.where(np.isfinite(g[0]), g[0], 0))) > 1e100
        for g in theirs.grads)


KNOWN.append(Known(
    "matrix-exp-backward-huge-gradient-torch",
    "torch 2.13: matrix_exp's backward takes the exponential of the block matrix [[A^H, G], [0, A^H]], whose norm "
    "grows with the upstream gradient G; for a huge G (an exp(200 x) downstream) its scaling and squaring loses "
    "the result: for a 1 x 1 A = [[0.94]] and G ~ 1e222 it returns 4.55e224 where g exp(a) is 1.17e225. ours "
    "differentiates a 1 x 1 A as the scalar exp (exact). Matched only in a program with matrix_exp whose torch "
    "gradient exceeds 1e100 (fuzz seed 297).",
    lambda prog, f, o, t: f.kind in ("grad:value", "gradgrad:value")
    and any(n.op == "matrix_power_exp" and "matrix_exp" in n.source() for n in prog.nodes) and _huge_torch_grad(t),
))

KNOWN.append(Known(
    "eig-phase-check-on-a-phase-free-loss-torch",
    "torch 2.13's eig backward raises 'The eigenvectors in the complex case are specified up to multiplication "
    "by e^{i phi} ... ill-defined' when the imaginary part of diag(V^H gV) exceeds its tolerance; the fuzzer "
    "differentiates only phase-free functions of the eigenvectors (|v|^2 sums), where that part is rounding "
    "noise that torch's tolerance sometimes fails. Matched only for that torch error in a program with eig "
    "(fuzz seed 321190).",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error")
    and any(n.op == "eig" for n in prog.nodes) and _torch_error(t, "specified up to multiplication by e^{i phi}"),
))

KNOWN.append(Known(
    "torch-backward-bugs-on-structural-zeros",
    "torch 2.13 bugs in backward passes that carry no gradient: channel_shuffle of an empty input raises 'Number "
    "of groups to divide channels in must be positive. Value of groups:0' (seed 321367); a second derivative "
    "through an in-place op on a gradient that is a ZeroTensor raises 'ZeroTensors are immutable' (seed 322919); "
    "norm(x, 0) (no gradient) still runs heaviside's backward, which raises 'derivative for aten::heaviside is not "
    "implemented' (seed 332194). autograd_core returns the zero gradients. Matched only for those torch errors.",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error") and (
        _torch_error(t, "Number of groups to divide channels in must be positive. Value of groups:0")
        or _torch_error(t, "ZeroTensors are immutable")
        or (_torch_error(t, "derivative for aten::heaviside is not implemented")
            and any("norm(" in n.source() and ", 0" in n.source() for n in prog.nodes))),
))

KNOWN.append(Known(
    "zero-gradient-op-stops-nan-torch",
    "torch's sign/sgn backward returns a ZeroTensor, and a ZeroTensor times anything (inf, nan) is zero, so a "
    "nan or infinite derivative upstream of sign (lgamma at a pole, entr at 0) gives 0 there; autograd_core "
    "propagates an ordinary zero gradient, and 0 * inf is nan, as IEEE arithmetic says. Matched only in a "
    "program with sign/sgn where ours is nan and torch's 0 (fuzz seeds 331233, 428185).",
    lambda prog, f, o, t: f.kind in ("grad:value", "gradgrad:value") and "nan positions differ" in f.detail
    and "(nan) vs torch" in f.detail and any(w in n.source() for n in prog.nodes for w in ("sgn", "sign"))
    and "0.0)" in f.detail,
))

KNOWN.append(Known(
    "number-over-tensor-keeps-the-divisor",
    "deliberate difference: torch computes number / x as reciprocal(x) * number (two nodes, keeping 1/x), so x "
    "may change in place before backward; autograd_core records one Div node (the graph the lessons draw), which "
    "keeps x and raises PyTorch's in-place error then. Matched only for that error naming a DivBackward, in a "
    "program with a number divided by a value (fuzz seed 409494).",
    lambda prog, f, o, t: f.kind == "grad:raised" and "modified by an inplace operation" in f.detail
    and "DivBackward" in f.detail
    and any(re.search(r"(^|[^\w.])-?\d+(\.\d+)? / v", n.source()) for n in prog.nodes),
))

KNOWN.append(Known(
    "inplace-into-overlapping-unfold-view",
    "an in-place op on a view whose elements overlap in memory (unfold with step < size): torch 2.13 does not "
    "detect the overlap there and applies the op once per element, so a shared location is changed twice (x / 1.7 "
    "/ 1.7); autograd_core (numpy) applies it once per memory location. Neither is a defined result (torch "
    "refuses such writes where it detects them). Matched only in a program with unfold whose view is written in "
    "place (fuzz seed 501847).",
    lambda prog, f, o, t: f.kind in ("forward:value", "grad:value", "gradgrad:value") and _unfold_written(prog),
))


def _unfold_written(prog: Any) -> bool:
    """Whether an unfold's output is the target of an in-place op (x /= y, x.add_(y), ...)."""
    outs = [v for n in prog.nodes if n.op == "unfold" and "unfold(" in n.source() for v in n.outs]
    return any(re.search(rf"(^|\s){re.escape(v)}(\s*(/=|\*=|\+=|-=)|\.\w+_\()", n.source())
               for v in outs for n in prog.nodes)

def match(prog: Any, failure: Any, ours: Any = None, theirs: Any = None) -> str | None:
    for k in KNOWN:
        if k.applies(prog, failure, ours, theirs):
            return k.id
    return None
