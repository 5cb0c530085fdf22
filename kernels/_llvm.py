"""Four LLVM operations numba does not expose, for the kernels: fused multiply-add, a float32 built from its
bits, streaming stores, a store fence.

Each is a plain-Python function (what runs under NUMBA_DISABLE_JIT, or when called from Python) with a
numba overload that emits the LLVM instruction in compiled code.

numba alone keys a cached kernel on its own source file only, so the kernels that call these helpers
would keep stale machine code after an edit here; they are cached with ``_cache.cached_njit``, whose cache
folder is named after a digest of every file of ``kernels/`` (this one included): edit it and the next
process compiles them again, no cache to clear by hand.
"""

from __future__ import annotations

from typing import Any

import llvmlite.binding as llb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

_X86 = llb.get_process_triple().startswith(("x86_64", "i386", "i686"))


def fma(a: float, b: float, c: float) -> float:
    """a * b + c; in compiled code one fused multiply-add (IEEE 754 fusedMultiplyAdd: a single rounding).

    Without fastmath LLVM keeps a * b + c as two roundings and two instructions; where sums are bound
    by the floating-point adders the fused form is faster (and no less accurate). Called from Python
    (or under NUMBA_DISABLE_JIT) this body runs: two roundings."""
    return a * b + c


def float32_from_bits(bits: int) -> float:
    """The float32 whose IEEE 754 bit pattern is the int32 ``bits``; compiled, one bitcast (it vectorises, which
    a view of an int32 array as float32 inside a loop does not). Used to build 2**n as ``(n + 127) << 23``."""
    return float(np.array(bits, np.int32).view(np.float32))


def stream_copy(dst: Any, start: int, src: Any, n: int) -> None:
    """dst[start:start + n] = src[:n] (1-D arrays of one dtype); compiled, the stores are non-temporal.

    Non-temporal stores write whole cache lines to memory without first reading them in (a normal store
    reads the line it writes, the "read for ownership") and without evicting what the cache holds: for an
    output much larger than the cache that is a third less memory traffic. Compiled code writes 16-byte
    vectors from the first 16-byte aligned element of dst on, plain stores before and after. Follow a
    run of these copies with store_fence() before other threads read dst."""
    dst[start:start + n] = src[:n]


def store_fence() -> None:
    """Order earlier non-temporal stores before later stores (x86 sfence; a full fence elsewhere)."""


@intrinsic
def _llvm_fma(typingctx, a, b, c):
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
        return builder.call(fn, args)

    return a(a, a, a), codegen


@overload(fma)
def _fma_overload(a, b, c):
    if isinstance(a, types.Float) and a == b == c:
        return lambda a, b, c: _llvm_fma(a, b, c)
    return None


@intrinsic
def _llvm_f32_from_bits(typingctx, bits):
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        v = args[0]
        if v.type.width != 32:  # numba widens int32 arithmetic to int64: keep the low 32 bits
            v = builder.trunc(v, ir.IntType(32)) if v.type.width > 32 else builder.sext(v, ir.IntType(32))
        return builder.bitcast(v, ir.FloatType())

    return types.float32(bits), codegen


@overload(float32_from_bits)
def _f32_from_bits_overload(bits):
    if isinstance(bits, types.Integer):
        return lambda bits: _llvm_f32_from_bits(bits)
    return None


def _counted_loop(builder, lo, hi, step, body):
    """Emit ``for i = lo; i + step <= hi; i += step: body(i)``; returns the i the loop exits with."""
    i64 = ir.IntType(64)
    pre = builder.block
    fn = builder.function
    head, loop, done = fn.append_basic_block("head"), fn.append_basic_block("loop"), fn.append_basic_block("done")
    builder.branch(head)
    builder.position_at_end(head)
    i = builder.phi(i64)
    i.add_incoming(lo, pre)
    builder.cbranch(builder.icmp_unsigned("<=", builder.add(i, i64(step)), hi), loop, done)
    builder.position_at_end(loop)
    body(i)
    i.add_incoming(builder.add(i, i64(step)), builder.block)
    builder.branch(head)
    builder.position_at_end(done)
    return i


@intrinsic
def _llvm_stream_copy(typingctx, dst, start, src, n):
    def codegen(context, builder, signature, args):
        dty, sty = signature.args[0], signature.args[2]
        i64 = ir.IntType(64)
        d = context.make_array(dty)(context, builder, args[0])
        s = context.make_array(sty)(context, builder, args[2])
        start = context.cast(builder, args[1], signature.args[1], types.uint64)
        n = context.cast(builder, args[3], signature.args[3], types.uint64)
        elt = context.get_data_type(dty.dtype)
        size = context.get_abi_sizeof(elt)
        vec = ir.VectorType(elt, 16 // size).as_pointer()
        out, inp = builder.gep(d.data, [start]), s.data
        # elements before dst's first 16-byte boundary (at most n)
        skew = builder.and_(builder.ptrtoint(out, i64), i64(15))
        head = builder.udiv(builder.and_(builder.sub(i64(16), skew), i64(15)), i64(size))
        head = builder.select(builder.icmp_unsigned(">", head, n), n, head)
        nontemporal = builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])

        def scalar(i):
            builder.store(builder.load(builder.gep(inp, [i])), builder.gep(out, [i]))

        def vector(i):
            v = builder.load(builder.bitcast(builder.gep(inp, [i]), vec), align=size)
            store = builder.store(v, builder.bitcast(builder.gep(out, [i]), vec), align=16)
            store.set_metadata("nontemporal", nontemporal)

        i = _counted_loop(builder, i64(0), head, 1, scalar)
        i = _counted_loop(builder, i, n, 16 // size, vector)
        _counted_loop(builder, i, n, 1, scalar)
        return context.get_dummy_value()

    return types.void(dst, start, src, n), codegen


@overload(stream_copy)
def _stream_copy_overload(dst, start, src, n):
    if (isinstance(dst, types.Array) and isinstance(src, types.Array) and dst.ndim == src.ndim == 1
            and dst.dtype == src.dtype and isinstance(dst.dtype, types.Float) and dst.layout == src.layout == "C"
            and isinstance(start, types.Integer) and isinstance(n, types.Integer)):
        return lambda dst, start, src, n: _llvm_stream_copy(dst, start, src, n)
    return None


@intrinsic
def _llvm_store_fence(typingctx):
    def codegen(context, builder, signature, args):
        if _X86:
            builder.call(builder.module.declare_intrinsic("llvm.x86.sse.sfence",
                                                          fnty=ir.FunctionType(ir.VoidType(), [])), [])
        else:
            builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen


@overload(store_fence)
def _store_fence_overload():
    return lambda: _llvm_store_fence()
