"""``autograd_core.nn``: modules, layers and losses (built in the nn/optim issue)."""
