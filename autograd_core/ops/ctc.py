"""Connectionist temporal classification (Graves et al. 2006): the log-space forward-backward recursion.

``CTCLoss`` is one node: forward runs the alpha recursion over time (vectorised over the batch and the extended
label sequence blank, l1, blank, l2, ..., blank) and returns each sample's negative log-likelihood; backward runs
the beta recursion and forms PyTorch's gradient

    grad[t, b, c] = exp(lp[t, b, c]) - exp(logsumexp_{s: l'_s = c}(alpha_t(s) + beta_t(s)) + nll_b - lp[t, b, c])

for t < input_length[b] (0 after). The exp(lp) term is PyTorch's: it makes the result the gradient with respect
to the logits when ``log_probs`` is a log_softmax output (the case CTC is meant for, where it adds nothing to the
log_softmax backward) and differs from the plain derivative otherwise; we match PyTorch. Like PyTorch's, the op is
once-differentiable.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor

__all__: list[str] = []


def _lse(*xs: np.ndarray) -> np.ndarray:
    """log(sum(exp(x))) over the given same-shaped arrays, -inf where all are -inf (no nan)."""
    m = xs[0]
    for x in xs[1:]:
        m = np.maximum(m, x)
    safe = np.where(np.isfinite(m), m, 0)
    s = sum(np.exp(x - safe) for x in xs)
    with np.errstate(divide="ignore"):
        return np.where(np.isneginf(m), -np.inf, np.log(s) + safe)


class _Plan:
    """The extended label sequences of a batch: l' (N, L), which positions may skip a blank, valid positions."""

    def __init__(self, targets: np.ndarray, tl: np.ndarray, blank: int) -> None:
        n, smax = targets.shape
        self.L = 2 * smax + 1
        ext = np.full((n, self.L), blank, dtype=np.int64)
        ext[:, 1::2] = targets
        self.ext = ext
        s = np.arange(self.L)
        self.valid = s[None, :] <= 2 * tl[:, None]  # positions beyond 2 tl + 1 belong to padding
        prev2 = np.full((n, self.L), -1, dtype=np.int64)
        prev2[:, 2:] = ext[:, :-2]
        self.skip = (s[None, :] % 2 == 1) & (s[None, :] >= 2) & (ext != prev2)  # s-2 -> s (distinct labels)


def _emit(lp_t: np.ndarray, plan: _Plan) -> np.ndarray:
    """lp[t, b, l'_s] for every b, s, -inf on padding positions."""
    e = np.take_along_axis(lp_t, plan.ext, axis=1)
    return np.where(plan.valid, e, -np.inf)


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(a, -np.inf)
    out[:, k:] = a[:, :a.shape[1] - k]
    return out


def _unshift(a: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(a, -np.inf)
    out[:, :a.shape[1] - k] = a[:, k:]
    return out


def _alpha(lp: np.ndarray, il: np.ndarray, tl: np.ndarray, plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """log alpha (T, N, L) and the negative log-likelihood (N,)."""
    t_max, n = lp.shape[:2]
    la = np.full((t_max, n, plan.L), -np.inf, dtype=lp.dtype)
    if t_max:
        e0 = _emit(lp[0], plan)
        start = np.full((n, plan.L), -np.inf, dtype=lp.dtype)
        start[:, 0] = e0[:, 0]
        if plan.L > 1:
            start[:, 1] = np.where(tl > 0, e0[:, 1], -np.inf)
        la[0] = start
        for t in range(1, t_max):
            a = la[t - 1]
            a2 = np.where(plan.skip, _shift(a, 2), -np.inf)
            la[t] = _lse(a, _shift(a, 1), a2) + _emit(lp[t], plan)
    b = np.arange(n)
    last = np.clip(il - 1, 0, max(t_max - 1, 0))
    end = la[last, b] if t_max else np.full((n, plan.L), -np.inf, dtype=lp.dtype)
    fin = end[b, 2 * tl]
    fin1 = np.where(tl > 0, end[b, np.maximum(2 * tl - 1, 0)], -np.inf)
    nll = -_lse(fin, fin1)
    # no frames: the empty target has probability 1, any other 0
    nll = np.where(il == 0, np.where(tl == 0, 0.0, np.inf), nll).astype(lp.dtype)
    return la, nll


def _beta(lp: np.ndarray, il: np.ndarray, tl: np.ndarray, plan: _Plan) -> np.ndarray:
    """log beta (T, N, L) (each including the emission at its own t), -inf from t = input_length on."""
    t_max, n = lp.shape[:2]
    lb = np.full((t_max, n, plan.L), -np.inf, dtype=lp.dtype)
    b = np.arange(n)
    nxt_skip = np.zeros_like(plan.skip)  # s -> s + 2 is allowed where s + 2 may skip its blank
    nxt_skip[:, :-2] = plan.skip[:, 2:]
    init = np.full((n, plan.L), -np.inf, dtype=lp.dtype)
    init[b, 2 * tl] = 0.0
    init[b, np.maximum(2 * tl - 1, 0)] = np.where(tl > 0, 0.0, init[b, np.maximum(2 * tl - 1, 0)])
    prev = None
    for t in range(t_max - 1, -1, -1):
        e = _emit(lp[t], plan)
        rec = None
        if prev is not None:
            b2 = np.where(nxt_skip, _unshift(prev, 2), -np.inf)
            rec = _lse(prev, _unshift(prev, 1), b2)
        starts = (il - 1 == t)[:, None]
        cur = np.where(starts, init, rec if rec is not None else -np.inf) + e
        cur = np.where((t < il)[:, None], cur, -np.inf)
        lb[t] = cur
        prev = cur
    return lb


def _ctc_grad(lp: np.ndarray, node: CTCLoss, g: np.ndarray) -> np.ndarray:
    """PyTorch's gradient with respect to log_probs (T, N, C) for the upstream gradient g (N,): frames past a
    sample's input length, and zero_infinity's infinite samples, get 0 whatever g holds (nan included)."""
    plan, il, tl, blank = node.plan, node.il, node.tl, node.blank
    t_max, n, c = lp.shape
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        lb = _beta(lp, il, tl, plan)
        ab = node.alpha + lb  # both include lp[t]: alpha beta / y_t summed over s is the path mass through s
        m = np.max(ab, axis=2, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        onehot = (plan.ext[:, :, None] == np.arange(c)).astype(lp.dtype)  # (N, L, C)
        lcab = np.log(np.einsum("tnl,nlc->tnc", np.exp(ab - m), onehot)) + m
        # PyTorch's quirk for a target whose last label is the blank itself (invalid input): at the last frame
        # its kernel assigns that label's alpha beta instead of adding the blank's (it assumes they differ)
        b = np.arange(n)
        odd = (tl > 0) & (plan.ext[b, np.maximum(2 * tl - 1, 0)] == blank) & (il > 0)
        if odd.any():
            bb, tt, ss = b[odd], il[odd] - 1, 2 * tl[odd] - 1
            lcab[tt, bb, blank] = node.alpha[tt, bb, ss] + lb[tt, bb, ss]
        grad = (np.exp(lp) - np.exp(lcab + node.nll[None, :, None] - lp)) * g[None, :, None]
    grad = np.where((np.arange(t_max)[:, None] < il[None, :])[:, :, None], grad, 0)
    if node.zero_infinity:
        grad = np.where(np.isinf(node.nll)[None, :, None], 0, grad)
    return grad.astype(lp.dtype)


class CTCLoss(Function):
    """nll_b = -log sum over alignments of prod_t exp(lp[t, b, pi_t]) (targets, lengths, blank: constants);
    g_lp = (exp(lp) - exp(lse(alpha + beta) + nll - lp)) * g (PyTorch's; once-differentiable)"""

    saves_inputs = True
    # PyTorch's backward reads the loss it returned: changing it in place before backward is an error there
    saves_output = True
    differentiable = False  # PyTorch's ctc_loss has no double backward either
    fresh_grads = True

    def forward(self, lp, targets, input_lengths, target_lengths, blank, zero_infinity):
        self.plan, self.blank = _Plan(targets, target_lengths, blank), blank
        self.il, self.tl, self.zero_infinity = input_lengths, target_lengths, zero_infinity
        # alpha is derived from the input, kept for the backward: fine for a once-differentiable op only
        with np.errstate(invalid="ignore", over="ignore"):
            self.alpha, nll = _alpha(lp, input_lengths, target_lengths, self.plan)
        self.nll = nll
        return nll

    def backward(self, g):
        self.saved_output()  # the version check
        (lp,) = self.saved()
        return _ctc_grad(lp, self, g)

    def attrs(self):
        return {"blank": self.blank}


def ctc_loss_nll(log_probs: Tensor, targets: np.ndarray, input_lengths: np.ndarray, target_lengths: np.ndarray,
                 blank: int, zero_infinity: bool) -> Tensor:
    """Per-sample CTC negative log-likelihoods (N,) of a (T, N, C) log_probs against padded (N, S) targets."""
    return CTCLoss.apply(log_probs, targets=targets, input_lengths=input_lengths, target_lengths=target_lengths,
                         blank=blank, zero_infinity=zero_infinity)
