"""``cached_njit``: numba's ``njit(cache=True)`` with the on-disk cache keyed on every source file of ``kernels/``.

numba keys a cached kernel on its own source file and bytecode only, so editing a file it depends on
(``_llvm.py``'s intrinsics, a helper in another kernel file) left stale machine code running. Here each
kernel is cached in a folder named after a digest of all of ``kernels/*.py``: any edit of any of them
changes the folder, so everything is compiled afresh (and cached again) by the next process.

Where: ``$NUMBA_CACHE_DIR/autograd_core-<digest>`` when the user set numba's cache directory, else
``kernels/__pycache__/numba-<digest>`` when that is writable, else ``<user cache>/autograd_core/numba-<digest>``;
with none writable the kernels compile in every process (never from a stale cache). Folders of other
digests that no process has used for a while are removed, so caches do not pile up.

Compiling takes seconds (tens of seconds for all of them), so the first time a process actually compiles
one of these kernels (a cold or partial cache; never when every kernel it uses loads from the cache) it
prints one line to stderr, ``autograd_core: compiling kernels (first run only)...``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numba
from numba.core import config, event

_HERE = Path(__file__).resolve().parent
_DIGEST_HEX = 16  # 64 bits of sha256: a folder name, not a security boundary
# Folders of other digests are removed once no process has started with them for this long. In
# kernels/__pycache__ they can only be older versions of these very files, kept just long enough for a
# process still running the old code to finish writing (removing a folder while numba writes into it
# makes that write fail); shared roots may hold other installations' caches, so those wait much longer.
_STALE_OWN_S = 3600.0
_STALE_SHARED_S = 7 * 86400.0
# Mutating numba.config.CACHE_DIR is process-global: two threads importing kernel modules at once must
# not interleave their set/restore, or one would "restore" the other's value and leave it set.
_lock = threading.Lock()

COMPILE_NOTICE = "autograd_core: compiling kernels (first run only)..."
UNCACHED_NOTICE = "autograd_core: compiling kernels (no writable cache folder: they compile in every process)..."
# the dispatchers made here, and whether each is cached on disk; numba's "numba:compile" event names the
# dispatcher being compiled, which is how a real compile is told from a load from the cache
_ours: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_notice = {"printed": False}
_notice_lock = threading.Lock()


def compile_notice(cached: bool, stream: Any = None) -> bool:
    """Print the compile line to ``stream`` (stderr) unless this process printed it already; whether it did."""
    with _notice_lock:
        if _notice["printed"]:
            return False
        _notice["printed"] = True
    print(COMPILE_NOTICE if cached else UNCACHED_NOTICE, file=stream if stream is not None else sys.stderr,
          flush=True)
    return True


class _CompileListener(event.Listener):
    """Says once per process that kernels are compiling, when numba starts compiling one of ours."""

    def on_start(self, ev: event.Event) -> None:
        disp = (ev.data or {}).get("dispatcher")
        try:
            cached = _ours.get(disp) if disp is not None else None
        except TypeError:  # not weak-referenceable: not one of ours
            cached = None
        if cached is not None and not _notice["printed"]:
            try:
                compile_notice(cached)
            except (OSError, ValueError):  # a closed or broken stderr must never fail a compile
                pass

    def on_end(self, ev: event.Event) -> None:
        pass


event.register("numba:compile", _CompileListener())


def _track(disp: Any, cached: bool) -> Any:
    """Remember ``disp`` as one of ours (so compiling it prints the notice); returns it."""
    try:
        _ours[disp] = cached
    except TypeError:  # not weak-referenceable (never so for numba's dispatchers): no notice, nothing else lost
        pass
    return disp


def read_sources(folder: Path = _HERE) -> dict[str, bytes]:
    """The bytes of every ``.py`` file directly in ``folder``, by file name."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.py"))}


def sources_digest(sources: Mapping[str, bytes]) -> str:
    """First 16 hex digits of a sha256 over the file names and contents (length-prefixed, in name order)."""
    h = hashlib.sha256()
    for name in sorted(sources):
        data = sources[name]
        # lengths delimit each field, so no two different sets of files hash the same stream
        h.update(f"{len(name)}:{name}:{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()[:_DIGEST_HEX]


@functools.cache
def digest() -> str:
    """Digest of the kernel sources of this process (read once: every kernel of a process shares one folder)."""
    return sources_digest(read_sources())


def _user_cache_home() -> Path:
    """The platform's per-user cache folder."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def _writable(path: Path) -> bool:
    """Create ``path`` if needed and check a file can be written there (numba's own test of a cache folder)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def prune(parent: Path, prefix: str, keep: str, older_than: float) -> list[str]:
    """Remove ``parent``'s ``<prefix>-<16 hex>`` folders except ``keep`` unused for ``older_than`` s; their names."""
    # Only names of exactly that pattern (folders this module creates) and never through a symlink;
    # errors are skipped, since another process may be pruning the same folder at the same time.
    pattern = re.compile(re.escape(prefix) + rf"-[0-9a-f]{{{_DIGEST_HEX}}}")
    cutoff = time.time() - older_than
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        if entry.name == keep or not pattern.fullmatch(entry.name):
            continue
        try:
            # a folder's mtime is bumped by every process that starts with it (see cache_dir)
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.name)
    return removed


def _prune_legacy(pycache: Path, older_than: float) -> None:
    """Remove numba's own in-tree cache files (``*.nbi``/``*.nbc``) of kernels/ from before this module existed."""
    cutoff = time.time() - older_than
    try:
        entries = list(os.scandir(pycache))
    except OSError:
        return
    for entry in entries:
        # nothing but numba's InTreeCacheLocator writes these names into kernels/__pycache__
        if entry.name.endswith((".nbi", ".nbc")):
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                    os.unlink(entry.path)
            except OSError:
                pass


@functools.cache
def cache_dir(user_dir: str, key: str) -> Path | None:
    """The writable folder for kernels of sources digest ``key`` (None if none is), given the user's CACHE_DIR."""
    # user_dir is numba.config.CACHE_DIR as the user left it ("" when unset); cached, so the folder is
    # chosen, marked in use and its stale siblings pruned once per process
    if user_dir:
        candidates = [(Path(user_dir), "autograd_core", _STALE_SHARED_S, False)]
    else:
        candidates = [(_HERE / "__pycache__", "numba", _STALE_OWN_S, True),
                      (_user_cache_home() / "autograd_core", "numba", _STALE_SHARED_S, False)]
    for parent, prefix, stale, in_tree in candidates:
        path = parent / f"{prefix}-{key}"
        if not _writable(path):
            continue
        try:
            os.utime(path)  # mark it in use, so other versions' pruning leaves it alone
        except OSError:
            pass
        prune(parent, prefix, path.name, stale)
        if in_tree:
            _prune_legacy(parent, stale)
        return path
    return None


def _options_tag(options: Mapping[str, Any]) -> str:
    """The sub-folder of one set of njit options."""
    # numba's cache index keys an entry on the signature, the CPU and the bytecode, not on the options: one
    # Python function compiled twice (optim's parallel and serial SGD step) would load whichever variant
    # was cached first. One folder per option set keeps them apart.
    text = ",".join(f"{k}={options[k]!r}" for k in sorted(options))
    return "opts-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def cached_njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=True, **options)`` with the cache in the folder of the current kernel sources."""

    def decorate(fn: Callable[..., Any]) -> Any:
        """Compile ``fn`` lazily, as numba.njit does, caching its machine code under the sources' digest."""
        if config.DISABLE_JIT:
            return numba.njit(**options)(fn)  # numba hands back fn itself: nothing to cache or compile
        with _lock:
            user_dir = config.CACHE_DIR
            root = cache_dir(user_dir, digest())
            if root is None:
                # no writable folder: numba's fallbacks (in-tree __pycache__) would be keyed on one file again
                return _track(numba.njit(**options)(fn), cached=False)
            path = root / _options_tag(options)
            # numba's UserProvidedCacheLocator reads config.CACHE_DIR once, when the dispatcher enables
            # caching at decoration; restoring it right after leaves the user's own numba functions alone
            config.CACHE_DIR = str(path)
            try:
                disp = numba.njit(cache=True, **options)(fn)
            except RuntimeError:  # "cannot cache function ...: no locator available": no folder was writable
                disp = None
            finally:
                config.CACHE_DIR = user_dir
        cached_at = disp.stats.cache_path if disp is not None else None
        if cached_at is None or not Path(cached_at).is_relative_to(path):
            # numba could not use our folder (made unwritable since it was checked) and fell back to one
            # keyed on fn's file alone, or to none: compile in every process rather than risk stale code
            return _track(numba.njit(**options)(fn), cached=False)
        return _track(disp, cached=True)

    return decorate
