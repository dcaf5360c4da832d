"""The native engine's IR text builder (engine/native/irtext.py) writes what llvmlite's IR builder
writes for the same calls, character for character, and LLVM accepts it."""

from __future__ import annotations

from typing import Any, Callable

import pytest

pytest.importorskip("llvmlite")

import llvmlite.binding as llvm  # noqa: E402
from llvmlite import ir  # noqa: E402

from wasmkit.engine.native import irtext  # noqa: E402

I1, I8, I32, I64, I128 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.IntType(128)
F32, F64, PTR = ir.FloatType(), ir.DoubleType(), ir.PointerType()
V4F = ir.VectorType(F32, 4)


def build(module: Any, function: Callable[..., Any], builder: Callable[[Any, Any], Any]) -> str:
    """One module, made with either API: `function(module, type, name)` and `builder(block, fn)`
    are the two places where they differ."""
    pair = ir.LiteralStructType([I32, F64])
    fn = function(module, ir.FunctionType(pair, [PTR, I32, F32]), "f")
    fn.linkage = "internal"
    other = function(module, ir.FunctionType(I32, [PTR, I32]), "g")
    memset = function(module, ir.FunctionType(ir.VoidType(), [PTR, I8, I64, I1]), "llvm.memset.p0.i64")
    slots = builder(fn.append_basic_block("slots"), fn)
    b = builder(fn.append_basic_block("body"), fn)
    ctx, x, y = fn.args
    local = slots.alloca(I32, name="l0")
    local.type = PTR
    again = slots.alloca(I32, name="l0")  # a repeated name: l0.1
    again.type = PTR
    cells = slots.alloca(ir.ArrayType(I128, 1), name="cells")
    cells.type = PTR
    b.store(x, local)
    loaded = b.load(local, typ=I32)
    field = b.gep(ctx, [ir.Constant(I64, 16)], source_etype=I8)
    wide = b.load(field, typ=I64, align=1)
    small = b.trunc(wide, I32)
    total = b.add(b.mul(loaded, small), ir.Constant(I32, 7))
    b.store(total, again, align=1)
    flag = b.icmp_unsigned("<", total, ir.Constant(I32, 3))
    also = b.icmp_signed(">=", total, loaded)
    chosen = b.select(b.and_(flag, b.not_(also)), total, loaded)
    later = fn.append_basic_block()
    b.cbranch(flag, later, fn.append_basic_block("other"))
    b.position_at_end(later)
    called = b.call(other, [ctx, chosen], tail="notail")
    b.call(memset, [field, ir.Constant(I8, 0), wide, ir.Constant(I1, 0)])
    vector = b.insert_element(ir.Constant(V4F, ir.Undefined), y, ir.Constant(I32, 0))
    splat = b.shuffle_vector(vector, ir.Constant(V4F, ir.Undefined), ir.Constant(ir.VectorType(I32, 4), [0] * 4))
    asm = ir.InlineAsm(ir.FunctionType(V4F, [V4F, V4F]), "addps $2, $0", "=x,0,x")
    summed = b.call(asm, [splat, splat])
    nan = b.fcmp_unordered("uno", summed, summed)
    mask = b.sext(nan, ir.VectorType(I32, 4))
    lane = b.extract_element(b.bitcast(mask, V4F), ir.Constant(I32, 2))
    double = b.fpext(b.fneg(lane), F64)
    ordered = b.fcmp_ordered("<", double, ir.Constant(F64, 1.5))
    result = b.insert_value(ir.Constant(pair, None), b.zext(ordered, I32), 0)
    result = b.insert_value(result, double, 1)
    b.extract_value(result, 1)
    done = fn.append_basic_block("done")
    switch = b.switch(called, done)
    switch.add_case(ir.Constant(I32, 1), fn.basic_blocks[3])
    switch.add_case(ir.Constant(I32, 2), done)
    b.position_at_end(done)
    b.ret(result)
    b.position_at_end(fn.basic_blocks[3])
    b.ret(ir.Constant(pair, None))
    cells.allocated_type = ir.ArrayType(I128, 4)  # resized after the fact
    slots.branch(fn.basic_blocks[1])
    return str(module)


def test_the_text_is_llvmlites() -> None:
    theirs = build(ir.Module(name="wasm"), ir.Function, lambda block, fn: ir.IRBuilder(block))
    ours = build(irtext.Module(name="wasm"), irtext.Function, irtext.Builder)
    assert ours == theirs


def test_llvm_accepts_the_text() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.initialize_native_asmparser()
    module = llvm.parse_assembly(build(irtext.Module(name="wasm"), irtext.Function, irtext.Builder))
    module.verify()
    assert module.get_function("f").linkage == llvm.Linkage.internal
