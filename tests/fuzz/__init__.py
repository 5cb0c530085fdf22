"""Differential fuzzer: random programs over autograd_core's op surface, compared with PyTorch.

PyTorch is the specification (values, shapes, dtypes, exception types). A *program* is a set
of random input tensors and a short DAG of ops written as Python source that runs unchanged on
both engines (``M`` is the module, ``F`` its ``nn.functional``, ``LA`` its ``linalg``, ``C`` makes
constant index tensors). Running the same source on both sides is what lets a failing program
be printed as a standalone reproducer.

- ``ops.py``: the op registry (one ``OpSpec`` per op / call form, with an argument generator).
- ``program.py``: generator, runner, comparison, shrinker and reproducer printer.
- ``known.py``: known torch-side bugs / deliberate differences, each with its reason.
- ``__main__.py``: the long run, ``python -m tests.fuzz --programs 30000 --seed 0``.

``tests/test_fuzz.py`` runs a fixed-seed slice and the coverage tests.
"""
