"""``autograd_core.optim``: optimisers and schedulers (built in the nn/optim issue)."""
