"""``autograd_core.ml``: the course's classical machine learning on the autograd Tensor.

Kernels and kernel ridge regression (with hyper-parameters learned through ``ag.linalg.solve``),
bootstrap confidence intervals, k-nearest neighbours, the Gaussian class-conditional classifier,
linear / logistic / softmax regression (normal equation, gradient descent, Newton), k-fold
cross-validation and metrics. Estimators follow scikit-learn's names (fit / predict / score).
"""

from . import metrics
from .bootstrap import BootstrapInterval, bootstrap_ci
from .gaussian import GaussianClassifier, gaussian_log_density
from .kernel_ridge import KernelRidge, r2_score
from .kernels import (
    linear_kernel,
    pairwise_kernel,
    polynomial_kernel,
    polynomial_kernel_exact,
    polynomial_kernel_up_to,
    rbf_kernel,
    sigmoid_kernel,
    squared_distances,
)
from .linear_models import LinearRegression, LogisticRegression, SoftmaxRegression, gradient_descent
from .metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_squared_error,
    precision_score,
    recall_score,
)
from .model_selection import cross_val_score, k_fold
from .neighbors import KNeighborsClassifier, pairwise_distances
from .newton import NewtonResult, newton
