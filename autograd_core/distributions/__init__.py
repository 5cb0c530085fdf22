"""Probability distributions with PyTorch's ``torch.distributions`` API, built on autograd_core's ops.

    import autograd_core as ag
    from autograd_core.distributions import Categorical, Normal, kl_divergence

    logits = ag.zeros(4, requires_grad=True)
    dist = Categorical(logits=logits)
    action = dist.sample()                    # int64, no graph
    (-dist.log_prob(action) * 1.5).backward() # REINFORCE: the score-function gradient

``sample`` draws from autograd_core's global generator (``ag.manual_seed`` makes it repeatable) and records
nothing; ``rsample`` (where ``has_rsample``) is reparameterised, so losses of its draws backpropagate into
the parameters. Argument validation is on by default (``Distribution.set_default_validate_args(False)`` or
``validate_args=False`` turns it off) and raises ValueError as PyTorch does.
"""

from __future__ import annotations

from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .half_normal import HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Poisson
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    PowerTransform,
    SigmoidTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from .uniform import Uniform

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
    "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma",
    "Geometric", "HalfNormal", "Independent", "IndependentTransform", "Laplace", "LogNormal", "Multinomial",
    "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform", "SigmoidTransform",
    "SoftplusTransform", "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
    "constraints", "identity_transform", "kl_divergence", "register_kl", "transforms",
]
