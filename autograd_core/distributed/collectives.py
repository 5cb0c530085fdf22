"""The tensor collectives (PyTorch's signatures): each writes its result into the given tensors in place and
bumps their version counters; none is recorded by autograd (as in PyTorch, they are not differentiable: a
tensor that requires grad, a leaf's ``.grad`` included, is simply written).

Every call first makes the ranks agree on the call, shapes, dtypes, op and root (``_check.agree``: one small
exchange), then starts a non-blocking MPI operation; ``async_op=True`` returns a Work for it (the agreement
itself is synchronous: it waits until every rank reached the call), otherwise the call waits and returns None.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._check import agree
from ._common import flat, out_buffer, root_rank, start, tensor_arg, tensor_list, written
from ._group import resolve, timeout_seconds
from ._reduce_op import ReduceOp, mpi_op
from ._work import Work

SUM = ReduceOp.SUM


def _averaged(buf: np.ndarray, op: ReduceOp, n: int) -> None:
    if op is ReduceOp.AVG:
        np.divide(buf, n, out=buf)


def all_reduce(tensor: Tensor, op: ReduceOp = SUM, group: Any = None, async_op: bool = False) -> Work | None:
    """tensor = op over ranks of every rank's tensor (in place, on every rank)."""
    call = "all_reduce"
    pg = resolve(group, call)
    t = tensor_arg(tensor, call)
    mop = mpi_op(op, t._data.dtype, call, pg._mpi)
    agree(pg, call, op=op, dtype=t._data.dtype, shape=t.shape)
    buf, in_place = out_buffer(t, call)
    req = pg._comm.Iallreduce(pg._mpi.IN_PLACE, flat(buf), op=mop)

    def finish() -> None:
        _averaged(buf, op, pg.size())
        written(t, buf, in_place)

    return start(pg, call, req, finish, async_op, [t], keep=(buf,))


def broadcast(tensor: Tensor, src: int | None = None, group: Any = None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:
    """tensor = rank ``src``'s tensor, on every rank."""
    call = "broadcast"
    pg = resolve(group, call)
    t = tensor_arg(tensor, call)
    root = root_rank(pg, call, src, group_src, "src")
    agree(pg, call, root=root, dtype=t._data.dtype, shape=t.shape)
    if pg.rank() == root:
        buf, in_place = np.ascontiguousarray(t._data), True  # the source only reads
    else:
        buf, in_place = out_buffer(t, call)
    req = pg._comm.Ibcast(flat(buf), root=root)
    finish = None if pg.rank() == root else (lambda: written(t, buf, in_place))
    return start(pg, call, req, finish, async_op, [t], keep=(buf,))


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp = SUM, group: Any = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    """On rank ``dst`` only: tensor = op over ranks of every rank's tensor (the others' tensors are unchanged)."""
    call = "reduce"
    pg = resolve(group, call)
    t = tensor_arg(tensor, call)
    root = root_rank(pg, call, dst, group_dst, "dst")
    mop = mpi_op(op, t._data.dtype, call, pg._mpi)
    agree(pg, call, op=op, root=root, dtype=t._data.dtype, shape=t.shape)
    if pg.rank() == root:
        buf, in_place = out_buffer(t, call)
        req = pg._comm.Ireduce(pg._mpi.IN_PLACE, flat(buf), op=mop, root=root)

        def finish() -> None:
            _averaged(buf, op, pg.size())
            written(t, buf, in_place)

        return start(pg, call, req, finish, async_op, [t], keep=(buf,))
    send = np.ascontiguousarray(t._data)
    req = pg._comm.Ireduce(flat(send), None, op=mop, root=root)
    return start(pg, call, req, None, async_op, [t], keep=(send,))


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False) -> Work | None:
    """tensor_list[r] = rank r's tensor, on every rank (every rank's tensor has the same shape and dtype)."""
    call = "all_gather"
    pg = resolve(group, call)
    t = tensor_arg(tensor, call)
    outs = tensor_list_checked(tensor_list, call, "tensor_list", pg.size(), t)
    agree(pg, call, dtype=t._data.dtype, shape=t.shape)
    recv = np.empty((pg.size(),) + tuple(t.shape), dtype=t._data.dtype)
    send = np.ascontiguousarray(t._data)
    req = pg._comm.Iallgather(flat(send), flat(recv))

    def finish() -> None:
        for r, out in enumerate(outs):
            written(out, recv[r], False)

    return start(pg, call, req, finish, async_op, outs, keep=(send, recv))


def tensor_list_checked(xs: Any, call: str, what: str, n: int, like: Tensor) -> list[Tensor]:
    """``xs`` checked (one tensor per rank, of ``like``'s shape and dtype) and writable."""
    xs = tensor_list(xs, call, what, n, like)
    for i, x in enumerate(xs):
        out_buffer(x, call, f"{what}[{i}]")
    return xs


def _numel_matches(out: Tensor, inp: Tensor, n: int, call: str, big: str) -> None:
    o, i = (out, inp) if big == "output" else (inp, out)
    if o._data.size != n * i._data.size or out._data.dtype != inp._data.dtype:
        raise ValueError(
            f"{call}: the {big} tensor must hold world size ({n}) x the other tensor's elements with the same dtype: "
            f"got output {out._data.dtype.name} {list(out.shape)}, input {inp._data.dtype.name} {list(inp.shape)}")


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Work | None:
    """output = the ranks' inputs concatenated along dim 0 (or stacked: only the element count must match)."""
    call = "all_gather_into_tensor"
    pg = resolve(group, call)
    out, inp = tensor_arg(output_tensor, call, "output_tensor"), tensor_arg(input_tensor, call, "input_tensor")
    _numel_matches(out, inp, pg.size(), call, "output")
    agree(pg, call, dtype=inp._data.dtype, shape=inp.shape)
    buf, in_place = out_buffer(out, call, "output_tensor")
    send = np.array(inp._data, order="C")  # a copy: the input may be a view of the output
    req = pg._comm.Iallgather(flat(send), flat(buf))
    return start(pg, call, req, lambda: written(out, buf, in_place), async_op, [out], keep=(send, buf))


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = SUM, group: Any = None,
                   async_op: bool = False) -> Work | None:
    """output (on rank r) = op over ranks of their input_list[r]."""
    call = "reduce_scatter"
    pg = resolve(group, call)
    out = tensor_arg(output, call, "output")
    ins = tensor_list(input_list, call, "input_list", pg.size(), out)
    mop = mpi_op(op, out._data.dtype, call, pg._mpi)
    agree(pg, call, op=op, dtype=out._data.dtype, shape=out.shape)
    buf, in_place = out_buffer(out, call, "output")
    send = np.concatenate([flat(np.ascontiguousarray(x._data)) for x in ins])
    req = pg._comm.Ireduce_scatter_block(send, flat(buf), op=mop)

    def finish() -> None:
        _averaged(buf, op, pg.size())
        written(out, buf, in_place)

    return start(pg, call, req, finish, async_op, [out], keep=(send, buf))


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = SUM, group: Any = None,  # noqa: A002
                          async_op: bool = False) -> Work | None:
    """output (on rank r) = op over ranks of their input's r-th block (the input is world size outputs long)."""
    call = "reduce_scatter_tensor"
    pg = resolve(group, call)
    out, inp = tensor_arg(output, call, "output"), tensor_arg(input, call, "input")
    _numel_matches(out, inp, pg.size(), call, "input")
    mop = mpi_op(op, out._data.dtype, call, pg._mpi)
    agree(pg, call, op=op, dtype=out._data.dtype, shape=out.shape)
    buf, in_place = out_buffer(out, call, "output")
    send = np.array(inp._data, order="C")  # a copy: the input may hold the output
    req = pg._comm.Ireduce_scatter_block(flat(send), flat(buf), op=mop)

    def finish() -> None:
        _averaged(buf, op, pg.size())
        written(out, buf, in_place)

    return start(pg, call, req, finish, async_op, [out], keep=(send, buf))


def _only_on_root(lst: Any, is_root: bool, call: str, what: str, role: str) -> None:
    if is_root and not lst:
        raise ValueError(f"{call}: Argument ``{what}`` must be specified on {role} rank.")
    if not is_root and lst:
        raise ValueError(f"{call}: Argument ``{what}`` must NOT be specified on non-{role} ranks.")


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None, group: Any = None,
           async_op: bool = False, group_dst: int | None = None) -> Work | None:
    """On rank ``dst``: gather_list[r] = rank r's tensor (the others pass no gather_list). ``dst`` defaults to 0."""
    call = "gather"
    pg = resolve(group, call)
    t = tensor_arg(tensor, call)
    root = root_rank(pg, call, dst, group_dst, "dst", default=0)
    is_root = pg.rank() == root
    _only_on_root(gather_list, is_root, call, "gather_list", "destination")
    outs = tensor_list_checked(gather_list, call, "gather_list", pg.size(), t) if is_root else []
    agree(pg, call, root=root, dtype=t._data.dtype, shape=t.shape)
    recv = np.empty((pg.size(),) + tuple(t.shape), dtype=t._data.dtype) if is_root else None
    send = np.ascontiguousarray(t._data)
    req = pg._comm.Igather(flat(send), None if recv is None else flat(recv), root=root)

    def finish() -> None:
        for r, out in enumerate(outs):
            written(out, recv[r], False)

    return start(pg, call, req, finish, async_op, outs, keep=(send, recv))


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None, group: Any = None,
            async_op: bool = False, group_src: int | None = None) -> Work | None:
    """tensor (on rank r) = rank ``src``'s scatter_list[r] (the others pass no scatter_list). ``src`` defaults
    to 0."""
    call = "scatter"
    pg = resolve(group, call)
    t = tensor_arg(tensor, call)
    root = root_rank(pg, call, src, group_src, "src", default=0)
    is_root = pg.rank() == root
    _only_on_root(scatter_list, is_root, call, "scatter_list", "source")
    ins = tensor_list(scatter_list, call, "scatter_list", pg.size(), t) if is_root else []
    agree(pg, call, root=root, dtype=t._data.dtype, shape=t.shape)
    buf, in_place = out_buffer(t, call)
    send = np.concatenate([flat(np.ascontiguousarray(x._data)) for x in ins]) if is_root else None
    req = pg._comm.Iscatter(send, flat(buf), root=root)
    return start(pg, call, req, lambda: written(t, buf, in_place), async_op, [t], keep=(send, buf))


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None, timeout: Any = None) -> Work | None:
    """Wait until every rank reached its barrier (``timeout``, a timedelta, overrides the group's). With
    async_op the returned Work is already complete: the barrier itself is the ranks' agreement exchange."""
    call = "barrier"
    pg = resolve(group, call)
    secs = timeout_seconds(timeout, call)
    agree(pg, call, deadline=None if secs is None else time.monotonic() + secs)
    return start(pg, call, None, None, async_op)
