"""Resource handles: the handle table, `resource.new`/`rep`/`drop`, own handles moving
ownership, borrow handles counted in the callee's scope and lent from the caller's, and the
traps on handle misuse."""

from __future__ import annotations

import pytest

from tests.component.abi_support import Guest, val
from wasmkit.component.abi import (
    BorrowScope, CanonicalAbi, FlatReader, HandleTable, LendScope, ResourceObject, ResourceType,
    resource_drop, resource_new, resource_rep,
)  # fmt: skip
from wasmkit.component.abi.resources import MAX_HANDLES
from wasmkit.component.types import Func, Resource
from wasmkit.errors import Trap, TrapKind

R, S = Resource(), Resource()
OWN_R, BORROW_R, OWN_S = val("own", (R,)), val("borrow", (R,)), val("own", (S,))
ABI = CanonicalAbi()


class World:
    """A guest instance with its table, the run-time types of R (defined by the guest, with a
    destructor that records what it destroys) and S (another guest's)."""

    def __init__(self) -> None:
        self.instance = object()
        self.destroyed: list[int] = []
        self.r = ResourceType("r", impl=self.instance, dtor=self.destroyed.append)
        self.s = ResourceType("s", impl=object())
        self.table = HandleTable()
        self.guest = Guest(size=4096)

    def cx(self, scope: object = None, instance: object = None) -> object:
        return self.guest.context(handles=self.table, instance=instance, scope=scope, resource_types={R: self.r, S: self.s})


def _bad_handle(message: str, call: object, *args: object) -> None:
    with pytest.raises(Trap) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.kind is TrapKind.INVALID_HANDLE
    assert message in str(caught.value), str(caught.value)


def test_table_indices_start_at_one_and_are_reused() -> None:
    table = HandleTable()
    rtype = ResourceType()
    assert [resource_new(table, rtype, rep) for rep in (10, 20, 30)] == [1, 2, 3]
    resource_drop(table, rtype, 2)
    assert len(table) == 2
    assert resource_new(table, rtype, 40) == 2
    assert resource_rep(table, rtype, 2) == 40 and resource_rep(table, rtype, 3) == 30


@pytest.mark.parametrize("index", [0, 4, 1 << 31])
def test_unknown_handle_traps(index: int) -> None:
    table = HandleTable()
    rtype = ResourceType()
    resource_new(table, rtype, 1)
    _bad_handle(f"unknown handle index {index}", resource_rep, table, rtype, index)
    _bad_handle(f"unknown handle index {index}", resource_drop, table, rtype, index)


def test_a_dropped_handle_is_unknown() -> None:
    table, rtype = HandleTable(), ResourceType()
    index = resource_new(table, rtype, 7)
    resource_drop(table, rtype, index)
    _bad_handle(f"unknown handle index {index}", resource_drop, table, rtype, index)


def test_handle_of_another_type_traps() -> None:
    w = World()
    index = resource_new(w.table, w.s, 5)
    _bad_handle("handle index 1 used with the wrong type: s, expected r", resource_rep, w.table, w.r, index)
    _bad_handle("used with the wrong type", ABI.codec(OWN_R).lift_flat, w.cx(), FlatReader([index]))
    _bad_handle("handle index 1 is not a resource handle", resource_rep, _table_with(object()), w.r, 1)


def _table_with(entry: object) -> HandleTable:
    table = HandleTable()
    table.add(entry)
    return table


def test_dropping_an_own_handle_runs_the_destructor() -> None:
    w = World()
    index = resource_new(w.table, w.r, 42)
    resource_drop(w.table, w.r, index)
    assert w.destroyed == [42]


def test_own_handle_lifted_moves_out_of_the_table() -> None:
    w = World()
    index = resource_new(w.table, w.r, 42)
    value = ABI.codec(OWN_R).lift_flat(w.cx(), FlatReader([index]))
    assert isinstance(value, ResourceObject) and value.owned and value.rep == 42
    assert len(w.table) == 0
    with value:
        pass
    assert w.destroyed == [42] and value.closed
    value.close()  # once only
    assert w.destroyed == [42]


def test_own_handle_lowered_gives_the_object_away() -> None:
    w = World()
    value = ResourceObject(w.r, 42, owned=True)
    flat: list[object] = []
    ABI.codec(OWN_R).lower_flat(w.cx(), value, flat)
    assert resource_rep(w.table, w.r, flat[0]) == 42  # type: ignore[arg-type]
    assert value.closed
    with pytest.raises(ValueError, match="closed"):
        ABI.codec(OWN_R).lower_flat(w.cx(), value, [])
    value.close()
    assert w.destroyed == []  # the guest owns it now


def test_lowering_checks_the_resource() -> None:
    w = World()
    with pytest.raises(TypeError, match="expected a r resource, got ResourceObject"):
        ABI.codec(OWN_R).lower_flat(w.cx(), ResourceObject(w.s, 1, owned=True), [])
    with pytest.raises(TypeError, match="expected a r resource, got int"):
        ABI.codec(OWN_R).lower_flat(w.cx(), 1, [])
    with pytest.raises(ValueError, match="cannot be given away"):
        ABI.codec(OWN_R).lower_flat(w.cx(), ResourceObject(w.r, 1, owned=False), [])


def test_borrow_lowered_into_a_callee_must_be_dropped_before_it_returns() -> None:
    w = World()
    scope = BorrowScope()
    value = ResourceObject(w.s, 9, owned=True)
    flat: list[object] = []
    ABI.codec(val("borrow", (S,))).lower_flat(w.cx(scope), value, flat)
    assert not value.closed and resource_rep(w.table, w.s, flat[0]) == 9  # type: ignore[arg-type]
    _bad_handle("borrow handles still remain at the end of the call (1 not dropped)", scope.finish)
    _bad_handle("is a borrow handle where an own handle is expected", ABI.codec(OWN_S).lift_flat, w.cx(), FlatReader(flat))
    resource_drop(w.table, w.s, flat[0])  # type: ignore[arg-type]
    scope.finish()


def test_borrow_lowered_into_the_defining_instance_is_the_rep() -> None:
    w = World()
    flat: list[object] = []
    ABI.codec(BORROW_R).lower_flat(w.cx(BorrowScope(), instance=w.instance), ResourceObject(w.r, 77, owned=True), flat)
    assert flat == [77] and len(w.table) == 0


def test_borrow_lifted_from_a_caller_is_lent_until_the_call_returns() -> None:
    w = World()
    index = resource_new(w.table, w.r, 42)
    scope = LendScope()
    borrowed = ABI.codec(BORROW_R).lift_flat(w.cx(scope), FlatReader([index]))
    assert isinstance(borrowed, ResourceObject) and not borrowed.owned and borrowed.rep == 42
    _bad_handle("cannot drop handle index 1: it is lent out (1 borrows)", resource_drop, w.table, w.r, index)
    _bad_handle("cannot give away handle index 1: it is lent out", ABI.codec(OWN_R).lift_flat, w.cx(), FlatReader([index]))
    borrowed.close()  # a borrow has no destructor to run
    assert w.destroyed == []
    scope.finish()
    assert borrowed.closed
    resource_drop(w.table, w.r, index)
    assert w.destroyed == [42]


def test_borrowed_object_dies_with_its_call() -> None:
    w = World()
    index = resource_new(w.table, w.r, 42)
    scope = LendScope()
    borrowed = ABI.codec(BORROW_R).lift_flat(w.cx(scope), FlatReader([index]))
    scope.finish()
    with pytest.raises(ValueError, match="closed"):
        borrowed.rep  # noqa: B018


def test_borrows_need_their_scope() -> None:
    w = World()
    index = resource_new(w.table, w.r, 1)
    with pytest.raises(TypeError, match="LendScope"):
        ABI.codec(BORROW_R).lift_flat(w.cx(BorrowScope()), FlatReader([index]))
    with pytest.raises(TypeError, match="BorrowScope"):
        ABI.codec(BORROW_R).lower_flat(w.cx(LendScope()), ResourceObject(w.r, 1, True), [])


def test_handles_in_memory_and_in_a_call() -> None:
    """A function of a borrow and a list of owns (in memory): lowered into a callee that does
    not define the resource (handles in its table), then lifted back out of it."""
    w = World()
    calls = ABI.function(Func((("self", BORROW_R), ("others", val("list", (OWN_R,)))), None))
    callee = BorrowScope()
    objects = [ResourceObject(w.r, rep, owned=True) for rep in (10, 20, 30)]
    flat = calls.lower_args(w.cx(callee), [objects[0], objects[1:]])
    assert flat[0] == 1 and resource_rep(w.table, w.r, 1) == 10
    ptr, count = flat[1], flat[2]
    assert count == 2 and [int.from_bytes(w.guest.data[ptr + 4 * i : ptr + 4 * i + 4], "little") for i in range(2)] == [2, 3]  # type: ignore[operator]
    assert not objects[0].closed and objects[1].closed and objects[2].closed
    lent = LendScope()
    borrowed, owned = calls.lift_args(w.cx(lent), flat)
    assert borrowed.rep == 10 and [o.rep for o in owned] == [20, 30] and all(o.owned for o in owned)
    assert len(w.table) == 1  # the borrow handle, still the callee's to drop
    lent.finish()
    _bad_handle("borrow handles still remain", callee.finish)
    resource_drop(w.table, w.r, 1)
    callee.finish()
    assert w.destroyed == []


def test_table_full_traps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wasmkit.component.abi.resources.MAX_HANDLES", 2)
    table, rtype = HandleTable(), ResourceType()
    resource_new(table, rtype, 1)
    resource_new(table, rtype, 2)
    _bad_handle("handle table is full", resource_new, table, rtype, 3)
    assert MAX_HANDLES == (1 << 28) - 1
