"""Whole synchronous calls: `run_lift` (a host calling a component's core function, which
gets a borrow it must drop before returning, and a result read through a return pointer, then
post-return) and `run_lower` (a component's core code calling a host function, which gets a
borrowed resource for the call, and whose result or raised `Err` is stored at the caller's
return pointer)."""

from __future__ import annotations

import pytest

from tests.component.abi_support import Guest, val
from wasmkit.component.abi import (
    BorrowScope, CanonicalAbi, Err, HandleTable, LendScope, Ok, ResourceObject, ResourceType, resource_drop,
    resource_new, resource_rep,
)  # fmt: skip
from wasmkit.component.syntax import Prim
from wasmkit.component.types import Func, Resource
from wasmkit.errors import Trap, TrapKind

R = Resource()
GREET = Func((("name", Prim.STRING), ("counter", val("borrow", (R,)))), val("result", (Prim.STRING, Prim.U32)))


def test_run_lift_calls_the_core_function_and_post_return() -> None:
    guest, table, rtype = Guest(), HandleTable(), ResourceType("counter", impl=object())
    calls = CanonicalAbi().function(GREET)
    seen: list[object] = []

    def core(ptr: int, length: int, handle: int) -> list[object]:
        name = bytes(guest.data[ptr : ptr + length]).decode()
        seen.append((name, resource_rep(table, rtype, handle)))
        resource_drop(table, rtype, handle)  # done with the borrow
        text = f"hi {name}".encode()
        guest.data[4000 : 4000 + len(text)] = text
        guest.data[3000:3012] = b"\x00\x00\x00\x00" + (4000).to_bytes(4, "little") + len(text).to_bytes(4, "little")
        return [3000]

    post: list[tuple[object, ...]] = []
    cx = guest.context(handles=table, scope=BorrowScope(), resource_types={R: rtype})
    counter = ResourceObject(rtype, 7, owned=True)
    value = calls.run_lift(cx, core, ["Ada", counter], post_return=lambda *results: post.append(results))
    assert value == Ok("hi Ada") and calls.to_python(value) == "hi Ada"
    assert seen == [("Ada", 7)] and post == [(3000,)] and len(table) == 0 and not counter.closed


def test_run_lift_traps_when_the_callee_keeps_a_borrow() -> None:
    guest, table, rtype = Guest(), HandleTable(), ResourceType("counter", impl=object())
    calls = CanonicalAbi().function(GREET)
    guest.data[3000:3008] = (1).to_bytes(4, "little") + (404).to_bytes(4, "little")  # err(404)
    post: list[object] = []
    cx = guest.context(handles=table, scope=BorrowScope(), resource_types={R: rtype})
    with pytest.raises(Trap, match="borrow handles still remain") as caught:
        calls.run_lift(cx, lambda *flat: [3000], ["Ada", ResourceObject(rtype, 7, owned=True)], post_return=post.append)
    assert caught.value.kind is TrapKind.INVALID_HANDLE and post == []


def test_run_lift_result_error_is_raised_for_python() -> None:
    guest = Guest()
    calls = CanonicalAbi().function(Func((), val("result", (Prim.STRING, Prim.U32))))
    guest.data[3000:3008] = (1).to_bytes(4, "little") + (404).to_bytes(4, "little")
    value = calls.run_lift(guest.context(scope=BorrowScope()), lambda: [3000], [])
    with pytest.raises(Err) as caught:
        calls.to_python(value)
    assert caught.value.value == 404


SUM = Func((("values", val("list", (Prim.U32,))), ("counter", val("borrow", (R,)))), val("result", (Prim.STRING, Prim.STRING)))


def _lowered_call(host: object, table: HandleTable | None = None) -> tuple[Guest, HandleTable, ResourceType, int]:
    """`run_lower` of SUM: the caller lends handle 1 (rep 9), passes [1, 2, 3], and wants the
    result at 3000."""
    guest = Guest()
    table = HandleTable() if table is None else table
    rtype = ResourceType("counter", impl=object())
    handle = resource_new(table, rtype, 9)
    guest.data[2000:2012] = b"".join(v.to_bytes(4, "little") for v in (1, 2, 3))
    calls = CanonicalAbi().function(SUM)
    cx = guest.context(handles=table, scope=LendScope(), resource_types={R: rtype})
    assert calls.run_lower(cx, host, [2000, 3, handle, 3000]) == []
    return guest, table, rtype, handle


def _string_at(guest: Guest, ptr: int) -> str:
    begin, length = (int.from_bytes(guest.data[ptr + i : ptr + i + 4], "little") for i in (0, 4))
    return bytes(guest.data[begin : begin + length]).decode()


def test_run_lower_lends_the_handle_for_the_call_and_stores_the_result() -> None:
    during: list[object] = []

    def host(values: list[int], counter: ResourceObject) -> str:
        during.append((values, counter.rep, counter.owned))
        return f"sum {sum(values)}"

    guest, table, rtype, handle = _lowered_call(host)
    assert during == [([1, 2, 3], 9, False)]
    assert guest.data[3000] == 0 and _string_at(guest, 3004) == "sum 6"
    resource_drop(table, rtype, handle)  # the caller's again, no longer lent


def test_a_lent_handle_cannot_be_dropped_during_the_call() -> None:
    table = HandleTable()
    refused: list[str] = []

    def host(values: list[int], counter: ResourceObject) -> str:
        with pytest.raises(Trap) as caught:
            resource_drop(table, counter.type, 1)
        refused.append(str(caught.value))
        return ""

    _lowered_call(host, table)
    assert refused == ["cannot drop handle index 1: it is lent out (1 borrows)"]


def test_run_lower_stores_a_raised_err() -> None:
    def host(values: list[int], counter: ResourceObject) -> str:
        raise Err("no")

    guest, *_ = _lowered_call(host)
    assert guest.data[3000] == 1 and _string_at(guest, 3004) == "no"


def test_run_lower_needs_its_scope() -> None:
    calls = CanonicalAbi().function(Func((), None))
    with pytest.raises(TypeError, match="LendScope"):
        calls.run_lower(Guest().context(), lambda: None, [])
    with pytest.raises(TypeError, match="BorrowScope"):
        calls.run_lift(Guest().context(), lambda: [], [])
