"""``autograd_core.ml``: the course's classical machine learning on the autograd Tensor.

Kernels and kernel ridge regression (with hyper-parameters learned through ``ag.linalg.solve``),
bootstrap confidence intervals, k-nearest neighbours, the Gaussian class-conditional classifier,
linear / logistic / softmax regression (normal equation, gradient descent, Newton), k-fold
cross-validation, bagging ensembles, grid and randomized hyper-parameter search, and metrics. Estimators
follow scikit-learn's names (fit / predict / score). ``n_jobs`` (joblib's meaning) fans the refits of
``cross_val_score``, ``bootstrap_ci``, the bagging ensembles and the searches out through joblib
(``pip install 'autograd_core[parallel]'``), with the same results as the serial run.
"""

from . import metrics
from .bootstrap import BootstrapInterval, bootstrap_ci
from .ensemble import BaggingClassifier, BaggingRegressor
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
from .search import GridSearchCV, ParameterGrid, ParameterSampler, RandomizedSearchCV
