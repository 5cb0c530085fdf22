"""KL(p || q) rules for the distributions added after kl.py's: Gumbel, Pareto, ContinuousBernoulli,
LowRankMultivariateNormal and their cross pairs with the older families, the pairs PyTorch registers.
Cross pairs whose supports do not nest are +inf (PyTorch's ``_infinite_like``: p's parameter shape).
Imported for its registrations by the package's __init__."""

from __future__ import annotations

import math

from .. import broadcast_shapes, diag_embed, full_like, lgamma, linalg, where
from .._tensor import Tensor
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import Gumbel
from .kl import register_kl
from .laplace import Laplace
from .lowrank_multivariate_normal import LowRankMultivariateNormal, lowrank_logdet, lowrank_mahalanobis
from .multivariate_normal import MultivariateNormal, batch_mahalanobis
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform
from .utils import euler_constant, xlogy

__all__: list[str] = []

_INF = math.inf


def _infinite_like(t: Tensor) -> Tensor:
    return full_like(t, _INF)


def _trace_xxt(x: Tensor) -> Tensor:
    """tr(X X^T) over the last two dims."""
    return x.pow(2).sum((-2, -1))


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + (-p.probs).log1p()
    t3 = -q._cont_bern_log_norm() - (-q.probs).log1p()
    return t1 + t2 + t3


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    ct1 = p.scale / q.scale
    ct2 = q.loc / q.scale
    ct3 = p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t2 = ct1 * euler_constant
    t3 = (ct2 + lgamma(1 + ct1) - ct3).exp()
    return t1 + t2 + t3 - (1 + euler_constant)


def _check_event(p: object, q: object, what: str) -> None:
    if p.event_shape != q.event_shape:  # type: ignore[attr-defined]
        raise ValueError(f"KL-divergence between two {what} with different event shapes cannot be computed: "
                         f"{tuple(p.event_shape)} vs {tuple(q.event_shape)}")  # type: ignore[attr-defined]


def _q_lowrank_terms(p_loc: Tensor, q: LowRankMultivariateNormal) -> tuple[Tensor, Tensor]:
    """(Mahalanobis term of mu_q - mu_p, A = L^-1 W^T D^-1) for a low-rank q."""
    W, D = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    term3 = lowrank_mahalanobis(W, D, q.loc - p_loc, q._capacitance_tril)
    A = linalg.solve_triangular(q._capacitance_tril, W.mT / D.unsqueeze(-2), upper=False)
    return term3, A


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p: LowRankMultivariateNormal, q: LowRankMultivariateNormal) -> Tensor:
    _check_event(p, q, "Low Rank Multivariate Normals")
    pW, pD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    qD = q._unbroadcasted_cov_diag
    term1 = (lowrank_logdet(q._unbroadcasted_cov_factor, qD, q._capacitance_tril)
             - lowrank_logdet(pW, pD, p._capacitance_tril))
    term3, A = _q_lowrank_terms(p.loc, q)
    # tr(Sq^-1 Sp) by Woodbury, Sp = pW pW^T + diag(pD)
    term2 = ((pD / qD).sum(-1) + _trace_xxt(pW * qD.rsqrt().unsqueeze(-1))
             - _trace_xxt(A * pD.sqrt().unsqueeze(-2)) - _trace_xxt(A @ pW))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p: MultivariateNormal, q: LowRankMultivariateNormal) -> Tensor:
    _check_event(p, q, "(Low Rank) Multivariate Normals")
    Lp = p._unbroadcasted_scale_tril
    qD = q._unbroadcasted_cov_diag
    term1 = (lowrank_logdet(q._unbroadcasted_cov_factor, qD, q._capacitance_tril)
             - 2 * Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    term3, A = _q_lowrank_terms(p.loc, q)
    term2 = _trace_xxt(Lp * qD.rsqrt().unsqueeze(-1)) - _trace_xxt(A @ Lp)
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p: LowRankMultivariateNormal, q: MultivariateNormal) -> Tensor:
    _check_event(p, q, "(Low Rank) Multivariate Normals")
    Lq = q._unbroadcasted_scale_tril
    pW, pD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    term1 = 2 * Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - lowrank_logdet(pW, pD, p._capacitance_tril)
    term3 = batch_mahalanobis(Lq, q.loc - p.loc)
    n = p.event_shape[0]
    batch = tuple(broadcast_shapes(tuple(Lq.shape[:-2]), tuple(pW.shape[:-2])))
    Lq_b = Lq.expand(batch + (n, n))
    term2 = (_trace_xxt(linalg.solve_triangular(Lq_b, pW.expand(batch + (n, pW.shape[-1])), upper=False))
             + _trace_xxt(linalg.solve_triangular(Lq_b, diag_embed(pD.sqrt()).expand(batch + (n, n)), upper=False)))
    return 0.5 * (term1 + term2 + term3 - n)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    scale_ratio = p.scale / q.scale
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * scale_ratio.log() - alpha_ratio.log() + alpha_ratio - 1
    return where(p.scale < q.scale, _INF, result)  # p puts mass below q's support


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_cb(p: Beta, q: ContinuousBernoulli) -> Tensor:
    return -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - q._cont_bern_log_norm()


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p: ContinuousBernoulli, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p: ContinuousBernoulli, q: Normal) -> Tensor:
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale).square()) + q.scale.log()
    t3 = (p.variance + p.mean.square() - 2.0 * q.loc * p.mean) / (2.0 * q.scale.square())
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p: ContinuousBernoulli, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    # as PyTorch: inf unless q's interval strictly contains [0, 1] on both sides
    return where((q.low >= 0.0) | (q.high <= 1.0), _INF, result)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Exponential, q: Gumbel) -> Tensor:
    srp = p.rate * q.scale
    lsr = q.loc / q.scale
    return srp.log() - 1 - lsr + lsr.exp() * srp / (srp + 1) + srp.reciprocal()


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Gamma, q: Gumbel) -> Tensor:
    a = p.concentration
    bsp = p.rate * q.scale
    lsr = q.loc / q.scale
    t1 = (a - 1) * a.digamma() - lgamma(a) - a
    t2 = bsp.log() + a / bsp
    t3 = lsr.exp() * (1 + bsp.reciprocal()).pow(-a) - lsr
    return t1 + t2 + t3


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal) -> Tensor:
    ratio = p.scale / q.scale
    t1 = (ratio / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * ratio * 0.5).pow(2) / 3
    t3 = ((p.loc + p.scale * euler_constant - q.loc) / q.scale).pow(2) * 0.5
    return -t1 + t2 + t3 - (euler_constant + 1)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel) -> Tensor:
    msr = p.loc / q.scale
    vsr = (p.scale / q.scale).pow(2)
    lsr = q.loc / q.scale
    return -vsr.log() * 0.5 + msr - lsr + (-msr + 0.5 * vsr + lsr).exp() - 0.5 * (1 + math.log(2 * math.pi))


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p: Pareto, q: Exponential) -> Tensor:
    srp = p.scale * q.rate
    result = (p.alpha / srp).log() - p.alpha.reciprocal() + p.alpha * srp / (p.alpha - 1) - 1
    return where(p.alpha <= 1, _INF, result)  # p has no mean: E_p[x] diverges


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p: Pareto, q: Gamma) -> Tensor:
    common = p.scale.log() + p.alpha.reciprocal()
    t1 = p.alpha.log() - common
    t2 = lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * common
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return where(p.alpha <= 1, _INF, t1 + t2 + t3 + t4 - 1)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p: Pareto, q: Normal) -> Tensor:
    var_normal = 2 * q.scale.pow(2)
    common = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc).pow(2)
    result = t1 - p.alpha.reciprocal() + (t3 + t4) / var_normal - 1
    return where(p.alpha <= 2, _INF, result)  # p has no variance


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p: Uniform, q: ContinuousBernoulli) -> Tensor:
    result = -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - q._cont_bern_log_norm()
    # as PyTorch: inf unless p's interval lies strictly inside (0, 1)
    return where((p.high >= 1.0) | (p.low <= 0.0), _INF, result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel) -> Tensor:
    common = q.scale / (p.high - p.low)
    hi = (p.high - q.loc) / q.scale
    lo = (p.low - q.loc) / q.scale
    return common.log() + 0.5 * (hi + lo) - common * ((-hi).exp() - (-lo).exp())


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p: Uniform, q: Pareto) -> Tensor:
    width = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * width).log()
    t2 = (xlogy(p.high, p.high) - xlogy(p.low, p.low) - width) / width
    return where(p.low < q.scale, _INF, t2 * (q.alpha + 1) - t1)


def _register_infinite(pairs: list[tuple[type, type]], param: str) -> None:
    def fn(p: object, q: object) -> Tensor:
        return _infinite_like(getattr(p, param))

    for tp, tq in pairs:
        register_kl(tp, tq)(fn)


# q's support misses part of p's: KL = inf
_register_infinite([(Beta, Pareto)], "concentration1")
_register_infinite([(ContinuousBernoulli, Pareto)], "probs")
_register_infinite([(Exponential, t) for t in (Beta, ContinuousBernoulli, Pareto, Uniform)], "rate")
_register_infinite([(Gamma, t) for t in (Beta, ContinuousBernoulli, Pareto, Uniform)], "concentration")
_register_infinite([(Gumbel, t) for t in (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)], "loc")
_register_infinite([(Laplace, t) for t in (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)], "loc")
_register_infinite([(Normal, t) for t in (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)], "loc")
_register_infinite([(Pareto, t) for t in (Beta, ContinuousBernoulli, Uniform)], "scale")
