"""Progress bars for long loops: tqdm when it is installed and stderr is a terminal, else nothing.

tqdm is optional (``pip install 'autograd_core[progress]'``): without it, or when output goes to a file,
a pipe, CI or a notebook's captured stream, ``progress`` hands the iterable back unchanged, so a loop
costs nothing extra and logs stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def enabled(show: bool | None = None, stream: Any = None) -> bool:
    """Whether a bar would be drawn: ``show`` if given, else whether ``stream`` (stderr) is a terminal."""
    if show is not None:
        return bool(show)
    return _is_tty(sys.stderr if stream is None else stream)


def progress(iterable: Iterable[T], total: int | None = None, desc: str | None = None, show: bool | None = None,
             unit: str = "it", **kwargs: Any) -> Iterable[T] | Iterator[T]:
    """``iterable`` wrapped in a tqdm bar on stderr; the iterable itself when tqdm is missing or the bar is off.

    ``show``: True or False forces the bar on or off; None (the default) draws it only on a terminal.
    The bar is removed when the loop ends (``leave=False``), so it leaves nothing behind in a log."""
    if not enabled(show):
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    kwargs.setdefault("leave", False)
    kwargs.setdefault("file", sys.stderr)
    return tqdm(iterable, total=total, desc=desc, unit=unit, **kwargs)
