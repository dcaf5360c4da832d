"""Lowering then lifting gives the value back, for random value types and values: flat, in
memory, and as a function's arguments and result (flat or spilled past 16 parameters and 1
result), in each string encoding. Core values have the types the flattening says."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.component.abi_support import ENCODINGS, Guest, same, val, value_types, values_of
from wasmkit.component.abi import BorrowScope, CanonicalAbi, FlatReader
from wasmkit.component.abi.build import _flat
from wasmkit.component.types import Func
from wasmkit.syntax.types import ValType

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check_core_types(flat: list[object], types: tuple[ValType, ...]) -> None:
    assert len(flat) == len(types)
    for value, t in zip(flat, types):
        if t in (ValType.I32, ValType.I64):
            assert type(value) is int and 0 <= value < (1 << (32 if t is ValType.I32 else 64)), (value, t)
        else:
            assert type(value) is float, (value, t)


@SETTINGS
@given(st.data(), value_types, st.sampled_from(ENCODINGS))
def test_flat_round_trip(data: st.DataObject, vt: object, encoding: object) -> None:
    codec = CanonicalAbi().codec(vt)  # type: ignore[arg-type]
    assert codec.flat == _flat(vt)  # type: ignore[arg-type]
    value = data.draw(values_of(vt, codec))  # type: ignore[arg-type]
    cx = Guest().context(encoding)  # type: ignore[arg-type]
    flat: list[object] = []
    codec.lower_flat(cx, value, flat)
    _check_core_types(flat, codec.flat)
    reader = FlatReader(flat)
    assert same(codec.lift_flat(cx, reader), value)
    assert reader.pos == len(flat)


@SETTINGS
@given(st.data(), value_types, st.sampled_from(ENCODINGS))
def test_memory_round_trip(data: st.DataObject, vt: object, encoding: object) -> None:
    codec = CanonicalAbi().codec(vt)  # type: ignore[arg-type]
    value = data.draw(values_of(vt, codec))  # type: ignore[arg-type]
    guest = Guest()
    cx = guest.context(encoding)  # type: ignore[arg-type]
    ptr = guest.block(codec)
    codec.store(cx, value, ptr)
    assert same(codec.load(cx, ptr), value)


@SETTINGS
@given(st.data(), st.lists(value_types, max_size=20), st.one_of(st.none(), value_types), st.sampled_from(ENCODINGS))
def test_call_round_trip(data: st.DataObject, params: list[object], result: object, encoding: object) -> None:
    """Arguments lowered for a callee and lifted by it, a result lowered by the callee and
    lifted for the caller; the core signature is the one validation checks against."""
    func = Func(tuple((f"p{i}", t) for i, t in enumerate(params)), result)  # type: ignore[arg-type]
    calls = CanonicalAbi().function(func)
    args = [data.draw(values_of(t, c)) for t, c in zip(params, calls.params)]  # type: ignore[arg-type]
    guest = Guest()
    cx = guest.context(encoding, scope=BorrowScope())  # type: ignore[arg-type]
    flat_args = calls.lower_args(cx, args)
    lift_type, lower_type = calls.core_type(lift=True), calls.core_type(lift=False)
    _check_core_types(flat_args, lift_type.params)
    assert same(calls.lift_args(cx, flat_args), args)
    if result is None:
        return
    value = data.draw(values_of(result, calls.result))  # type: ignore[arg-type]
    out_ptr = [guest.block(calls.result)] if calls.result_spilled else []  # type: ignore[arg-type]
    flat_results = calls.lower_result(cx, value, flat_args + out_ptr)
    _check_core_types(flat_args + out_ptr, lower_type.params)
    _check_core_types(flat_results, lower_type.results)
    assert same(calls.lift_result(cx, flat_results or out_ptr), value)


def test_spilling_follows_the_flat_limits() -> None:
    """16 flat parameters stay flat, 17 go through memory; a result of 2 core values too."""
    u32, string = val("tuple", (val("flags", ("a",)),)), val("list", (val("enum", ("a",)),))
    abi = CanonicalAbi()
    assert not abi.function(Func(tuple((f"p{i}", u32) for i in range(16)), None)).params_spilled
    assert abi.function(Func(tuple((f"p{i}", u32) for i in range(17)), None)).params_spilled
    assert abi.function(Func((), string)).result_spilled
    assert not abi.function(Func((), u32)).result_spilled
