import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one test process per core (pytest -n 2 on 2 cores): a second OpenBLAS thread per process only contends,
    # and a contended multi-threaded BLAS slows small GEMMs (conv, notebooks) by up to 20x; set before numpy loads
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import autograd_core  # noqa: E402, F401 - first, so its thread settings precede numpy's OpenBLAS load
import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=40, derandomize=True)
settings.register_profile("dev", deadline=None, max_examples=10)
settings.register_profile("nightly", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
