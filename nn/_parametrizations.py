"""``nn.utils.parametrizations``: ``orthogonal``, ``spectral_norm`` and ``weight_norm`` as parametrizations.

Each registers a small module through ``nn.utils.parametrize.register_parametrization``, so the constrained
weight is recomputed (and differentiated through) at every read, and ``state_dict`` keys are PyTorch's:
``parametrizations.weight.original`` (orthogonal, spectral_norm, plus ``...weight.0.base`` and
``...weight.0._u`` / ``_v`` buffers) or ``parametrizations.weight.original0`` / ``original1`` (weight_norm's g and
v). The maps are compositions of recorded ops (matmul, solve, sums), so gradients of gradients come free.
"""

from __future__ import annotations

import math
from enum import Enum, auto

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import _parametrize as parametrize
from . import functional as F
from .module import Module

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---------------------------------------------------------------------- matrix helpers (composites)
def _mH(x: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims."""
    return x.mT.conj() if x.is_complex() else x.mT


def _eye_like(x: Tensor, n: int) -> Tensor:
    return ag.eye(n, dtype=x.dtype)


# Taylor degree and the 1-norm the argument is scaled below: the remainder e * 1/19! ~ 2e-17 is under float64's
# rounding, so the polynomial (and its derivative, which is the derivative of what is computed) is exp's.
_EXP_DEGREE = 18


def _matrix_exp(a: Tensor) -> Tensor:
    """exp(A) for a (batch of) square matrices: scaling and squaring around a degree-18 Taylor polynomial in
    Horner form, all recorded matmuls (the scaling exponent is a constant chosen from the norm)."""
    n = a.shape[-1]
    norm = float(np.abs(a.detach().numpy()).sum(axis=-2).max()) if a.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm))) if norm > 1.0 else 0
    b = a / (2.0 ** s) if s else a
    eye = _eye_like(a, n)
    p = eye
    for k in range(_EXP_DEGREE, 0, -1):
        p = eye + (b @ p) / k
    for _ in range(s):
        p = p @ p
    return p


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^H, v_i = column i of ``a`` below the
    diagonal with a 1 on it (LAPACK's orgqr, PyTorch's ``linalg.householder_product``), as recorded ops."""
    n, k = a.shape[-2], a.shape[-1]
    rows = np.arange(n)[:, None]
    below = ag.tensor((rows > np.arange(k)[None, :]).astype(np.float64), dtype=a.dtype)
    unit = ag.tensor((rows == np.arange(k)[None, :]).astype(np.float64), dtype=a.dtype)
    vs = a * below + unit  # every column i: the reflector's vector v_i
    q = unit.expand(*a.shape)  # I[:, :k]
    for i in range(k - 1, -1, -1):
        v = vs[..., :, i:i + 1]  # (..., n, 1)
        q = q - tau[..., i:i + 1].unsqueeze(-1) * (v @ (_mH(v) @ q))
    return q


def _make_orthogonal(a: np.ndarray) -> np.ndarray:
    """The Q factor of A = QR (A tall) with diag(R) made non-negative (a constant: used under no_grad)."""
    q, r = np.linalg.qr(a)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    sgn = np.where(d == 0, 0, d / np.where(d == 0, 1, np.abs(d)))
    return q * sgn[..., None, :]


def _geqrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's geqrf for real matrices (batched): R on and above the diagonal, the Householder vectors below it,
    and their scalars tau (PyTorch's ``torch.geqrf``); used by ``orthogonal(..., use_trivialization=False)``."""
    a = np.array(a, dtype=a.dtype, copy=True)
    m, n = a.shape[-2], a.shape[-1]
    flat = a.reshape(-1, m, n)
    taus = np.zeros((flat.shape[0], min(m, n)), dtype=a.dtype)
    for b in range(flat.shape[0]):
        x = flat[b]
        for j in range(min(m, n)):
            alpha = x[j, j]
            xnorm = np.linalg.norm(x[j + 1:, j])
            if xnorm == 0:
                continue  # H = I (tau 0), as LAPACK's larfg
            beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
            taus[b, j] = (beta - alpha) / beta
            x[j + 1:, j] /= alpha - beta
            x[j, j] = beta
            v = x[j + 1:, j]
            w = x[j, j + 1:] + v @ x[j + 1:, j + 1:]
            x[j, j + 1:] -= taus[b, j] * w
            x[j + 1:, j + 1:] -= taus[b, j] * np.outer(v, w)
    return flat.reshape(a.shape), taus.reshape(a.shape[:-2] + (min(m, n),))


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * np.finfo(q.dtype).eps
    qh = np.conj(np.swapaxes(q, -1, -2))
    return bool(np.allclose(qh @ q, np.eye(k, dtype=q.dtype), rtol=1e-5, atol=eps))


# ---------------------------------------------------------------------- orthogonal
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Q = map(X): orthonormal columns (rows, for a wide matrix); with the dynamic trivialisation (default) the
    result is ``base @ map(X)`` where ``base`` (a buffer) is the orthogonal matrix the original was set to."""

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def _has_base(self) -> bool:
        return "base" in self._buffers

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:  # a skew-symmetric n x n from the tall n x k: zero columns on the right
                X = ag.cat([X, ag.zeros(*X.shape[:-2], n, n - k, dtype=X.dtype)], dim=-1)
            A = X - _mH(X)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                eye = _eye_like(A, n)
                Q = ag.linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the signs of X's diagonal (truncated to integers, as PyTorch) flip the columns
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if self._has_base():
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        """An original whose image is ``Q`` (orthogonalised first by QR if it is not orthogonal)."""
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {ag.Size(self.shape)}. Got a tensor "
                             f"of shape {ag.Size(Q.shape)}.")
        with ag.no_grad():
            q_init = Q
            q = Q.detach().numpy()
            n, k = q.shape[-2], q.shape[-1]
            transpose = n < k
            if transpose:
                q = np.swapaxes(q, -1, -2)
                n, k = k, n
            if not self._has_base():
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                # the Householder vectors of Q's QR, with the diagonal set to the signs that rebuild Q itself
                a, tau = _geqrf(q)
                d = np.sign(np.diagonal(a, axis1=-2, axis2=-1))
                d = np.where(tau == 0.0, -d, d)
                idx = np.arange(min(n, k))
                a[..., idx, idx] = d
                return ag.tensor(np.swapaxes(a, -1, -2) if transpose else a, dtype=Q.dtype)
            if n == k:
                q = _make_orthogonal(q) if not _is_orthogonal(q) else q.copy()
            else:  # complete the k columns to an n x n orthogonal matrix with random ones
                extra = ag.randn(*(q.shape[:-2] + (n, n - k)), dtype=Q.dtype).numpy()
                q = _make_orthogonal(np.concatenate([q, extra], axis=-1))
            self.base = ag.tensor(q, dtype=Q.dtype)
            neg_id = np.zeros(q_init.shape, dtype=q.dtype)
            idx = np.arange(min(q_init.shape[-2], q_init.shape[-1]))
            neg_id[..., idx, idx] = -1.0  # householder(-I) is -I[:, :k], times the diagonal's -1: I[:, :k]
            return ag.tensor(neg_id, dtype=Q.dtype)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or a batch of them) to orthonormal columns (rows if wide), through
    ``"matrix_exp"`` (default for square), ``"cayley"`` or ``"householder"`` (default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.shape[-2] == weight.shape[-1] or weight.is_complex()
                          else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None) if isinstance(orthogonal_map, str) else None
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---------------------------------------------------------------------- weight_norm
def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm over every dim but ``dim`` (kept as size 1); ``dim=-1`` is the norm of the whole tensor (0-d),
    as PyTorch's ``norm_except_dim``."""
    if dim == -1:
        return (v * v).sum().sqrt() if not v.is_complex() else (v * v.conj()).real.sum().sqrt()
    d = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != d)
    sq = v * v if not v.is_complex() else (v * v.conj()).real
    return sq.sum(dim=axes, keepdim=True).sqrt() if axes else sq.sqrt()


class _WeightNorm(Module):
    """w = g * v / ||v|| (the norm over every dim but ``dim``; over all of v for ``dim=None``)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (Salimans & Kingma): ``original0`` is g (one value per
    slice along ``dim``), ``original1`` is v. The parametrization form of the older ``nn.utils.weight_norm``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ---------------------------------------------------------------------- spectral_norm
class _SpectralNorm(Module):
    """W / sigma(W), sigma estimated by power iteration on the buffers ``_u``, ``_v`` (updated at each read in
    training mode); a vector is just normalised."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with ag.no_grad():
                w = self._reshape_weight_to_matrix(weight.detach())
                h, wd = w.shape
                self.register_buffer("_u", F.normalize(ag.randn(h, dtype=w.dtype), dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(ag.randn(wd, dtype=w.dtype), dim=0, eps=self.eps))
            self._power_method(w, 15)  # a good estimate from the start

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # in place into the buffers (their identity and version change, as PyTorch's out=); no graph
        with ag.no_grad():
            w = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(ag.mv(w, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(ag.mv(_mH(w), self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: backward must not see the buffers the next power iteration overwrites
        u, v = self._u.clone(), self._v.clone()
        sigma = (u.conj() * ag.mv(weight_mat, v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its largest singular value (estimated by power iteration), for Lipschitz
    control (Miyato et al.); ``dim`` is the output dimension (1 for ConvTranspose, 0 otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from .conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
