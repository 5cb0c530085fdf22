"""Marking a function as one composite op, so that drawings show its primitives as one box.

``@ag.viz.composite("softmax")`` brackets each call with two creation numbers (as ``nn.Module.__call__``
does) and writes ``(label, start, end)`` onto the node that made the result (``fn._composites``). The graph
then says by itself which nodes one call made: the ones reachable from that result whose number lies in
``[start, end)``. Nothing is recorded when the result does not require grad; the cost of a call is two
counter increments and one list append.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._function import sequence_mark
from .._tensor import Tensor


def _tag(out: Any, label: str, start: int, end: int) -> None:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    done = set()
    for t in outs:
        fn = t.grad_fn if isinstance(t, Tensor) else None
        if fn is None or id(fn) in done or not start <= getattr(fn, "_seq", -1) < end:
            continue  # a leaf, or a tensor the call did not make (it returned an input)
        done.add(id(fn))
        tags = getattr(fn, "_composites", None)
        if tags is None:
            fn._composites = tags = []
        tags.append((label, start, end))


def composite(label: str, fn: Callable | None = None) -> Any:
    """Draw every call of ``fn`` as one box named ``label`` (expandable in the HTML page, ``expand=True``
    in ``draw_graph``). A decorator (``@ag.viz.composite("softmax")``) or a wrapper
    (``ce = ag.viz.composite("cross_entropy", F.cross_entropy)``)."""
    if not isinstance(label, str) or not label:
        raise TypeError(f"composite: the label must be a non-empty string, got {label!r}")

    def wrap(f: Callable) -> Callable:
        @functools.wraps(f)
        def call(*args: Any, **kwargs: Any) -> Any:
            start = sequence_mark()
            out = f(*args, **kwargs)
            _tag(out, label, start, sequence_mark())
            return out

        return call

    return wrap if fn is None else wrap(fn)
