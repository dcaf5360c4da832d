"""The guest profiler (`wasmkit.Profiler`, `wasmkit run --profile/--profile-svg`) on both
engines: a program with a known hot function, profiled; the profile checked against the
Firefox Profiler's Gecko format (`gecko_schema`), the hot function dominating its samples, and
the flame graph an SVG document that names it with widths in proportion to the samples."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

import wasmkit
from wasmkit.cli import main
from wasmkit.profile import flamegraph
from tests.profile.gecko_schema import check_gecko_profile, stacks_of
from tests.support import require_shared

# `hot` does nearly all the work: called by `run` for n rounds, and through `cold` for n/20.
PROGRAM = """(module
  (func $hot (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func $cold (param $n i32) (result i32)
    (call $hot (i32.div_u (local.get $n) (i32.const 20))))
  (func $run (export "run") (param $n i32) (result i32)
    (i32.add (call $hot (local.get $n)) (call $cold (local.get $n))))
  (func $fail (export "fail") (call $deeper))
  (func $deeper (unreachable))
  (func $spin (export "spin") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (return_call $spin (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.const 7)))))
"""
# Rounds of `hot` that take a few tenths of a second on each engine.
ROUNDS = {"python": 2_000_000, "native": 400_000_000}
ENGINES = ["python", "native"]
INTERVAL = 0.001


def _engine(name: str) -> str:
    if name == "native":
        pytest.importorskip("llvmlite", reason="the native engine needs llvmlite")
    return name


def _dominant_leaf(stacks: list[tuple[str, ...]]) -> tuple[str, float]:
    leaves = Counter(stack[-1] for stack in stacks)
    name, count = leaves.most_common(1)[0]
    return name, count / len(stacks)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_hot_function_dominates_the_profile(engine: str) -> None:
    instance = wasmkit.load(PROGRAM, engine=_engine(engine), profiling=True)
    with wasmkit.Profiler(interval=INTERVAL, name="hot.wat") as profiler:
        instance.exports.run(ROUNDS[engine])
    profile = json.loads(json.dumps(profiler.firefox_profile()))  # as it is written
    check_gecko_profile(profile)
    stacks = [stack for thread in profile["threads"] for stack in stacks_of(thread)]
    assert len(stacks) >= 20, f"too few samples: {len(stacks)}"
    leaf, share = _dominant_leaf(stacks)
    assert leaf == "hot" and share > 0.7, Counter(stacks)
    assert all(stack[0] == "run" for stack in stacks)  # the outermost frame is the export called


@pytest.mark.parametrize("engine", ENGINES)
def test_run_writes_the_profile_and_the_flame_graph(engine: str, tmp_path: Path) -> None:
    source = tmp_path / "hot.wat"
    source.write_text(PROGRAM)
    out, svg = tmp_path / "out.json", tmp_path / "flame.svg"
    argv = ["run", "--engine", _engine(engine), "--no-cache", "--profile", str(out), "--profile-svg", str(svg),
            "--profile-interval", "1ms", "--invoke", "run", str(source), str(ROUNDS[engine])]  # fmt: skip
    assert main(argv) == 0
    profile = json.loads(out.read_text())
    check_gecko_profile(profile)
    assert profile["meta"]["product"] == "hot.wat" and profile["meta"]["interval"] == 1.0
    stacks = [stack for thread in profile["threads"] for stack in stacks_of(thread)]
    assert _dominant_leaf(stacks)[0] == "hot"
    boxes = _boxes(svg.read_text())
    hot = max((box for box in boxes if box[0] == "hot"), key=lambda box: box[2])
    assert hot[1] > 0.7 * boxes[0][1]  # boxes[0] is the root, all samples
    assert "hot" in _texts(svg.read_text()) and "run" in _texts(svg.read_text())


@pytest.mark.parametrize("engine", ENGINES)
def test_nbody_profile(engine: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """bench/'s nbody (a stripped binary: its functions are named by export, else by index):
    the profile is a Firefox Profiler profile, and the flame graph names the function most
    samples were in and the program's entry."""
    nbody = require_shared("bench", "nbody.wasm")
    out, svg = tmp_path / "nbody.json", tmp_path / "nbody.svg"
    steps = {"python": "3000", "native": "2000000"}[engine]
    argv = ["run", "--engine", _engine(engine), "--profile", str(out), "--profile-svg", str(svg),
            "--profile-interval", "1ms", str(nbody), steps]  # fmt: skip
    assert main(argv) == 0
    assert capfd.readouterr().out.startswith("-0.169075164\n")
    profile = json.loads(out.read_text())
    check_gecko_profile(profile)
    stacks = [stack for thread in profile["threads"] for stack in stacks_of(thread)]
    assert len(stacks) >= 20 and all(stack[0] == "_start" for stack in stacks)
    hottest = Counter(stack[-1] for stack in stacks).most_common(1)[0][0]
    names = _texts(svg.read_text())
    assert hottest in names and "_start" in names


def test_wasmtime_spelling_of_the_profile_flag(tmp_path: Path) -> None:
    source = tmp_path / "hot.wat"
    source.write_text(PROGRAM)
    out = tmp_path / "guest.json"
    assert main(["run", f"--profile=guest,{out},1ms", "--invoke", "run", str(source), "300000"]) == 0
    profile = json.loads(out.read_text())
    check_gecko_profile(profile)
    assert profile["meta"]["interval"] == 1.0


def test_a_zero_interval_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "hot.wat"
    source.write_text(PROGRAM)
    assert main(["run", "--profile-svg", str(tmp_path / "f.svg"), "--profile-interval", "0ms", "--invoke", "run", str(source), "1"]) == 1
    assert "the profiling interval must be more than 0" in capsys.readouterr().err
    assert not (tmp_path / "f.svg").exists()


def test_host_profilers_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "hot.wat"
    source.write_text(PROGRAM)
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--profile=perfmap", "--invoke", "run", str(source), "1"])
    assert exit_.value.code == 2
    assert "wasmkit profiles the guest only" in capsys.readouterr().err


def test_native_shadow_stack_is_empty_after_traps_and_tail_calls() -> None:
    _engine("native")
    instance = wasmkit.load(PROGRAM, engine="native", profiling=True)
    shadow = instance.store.shadow_stack()
    with pytest.raises(wasmkit.Trap) as trap:
        instance.exports.fail()
    assert trap.value.kind is wasmkit.TrapKind.UNREACHABLE
    assert shadow.words[0] == 0 and shadow.sample() == []
    assert instance.exports.spin(100_000) == 7  # 100,000 tail calls, each replacing its caller
    assert shadow.words[0] == 0
    assert instance.exports.run(1000) == wasmkit.load(PROGRAM).exports.run(1000)  # same results as the Python engine


def test_native_code_both_metered_and_profiled() -> None:
    _engine("native")
    store = wasmkit.Store("native", fuel=10**9, profiling=True)
    instance = wasmkit.load(PROGRAM, store=store)
    with wasmkit.Profiler(interval=INTERVAL) as profiler:
        assert instance.exports.run(300_000) == wasmkit.load(PROGRAM).exports.run(300_000)
    assert store.fuel < 10**9 and store.shadow_stack().words[0] == 0
    assert all(sample.stack[0] == "run" for sample in profiler.samples)


def test_the_profiled_variant_has_its_own_cache_key(tmp_path: Path) -> None:
    _engine("native")
    from wasmkit.engine.native.cache import ObjectCache
    from wasmkit.engine.native.layout import Variant

    keys = {variant: ObjectCache(tmp_path, b"digest", variant, "full").directory for variant in Variant.__members__.values()}
    keys[Variant.METERED | Variant.PROFILED] = ObjectCache(tmp_path, b"digest", Variant.METERED | Variant.PROFILED, "full").directory
    assert len(set(keys.values())) == 4
    assert [Variant(v).key for v in (False, True, 2, 3)] == ["plain", "metered", "profiled", "metered+profiled"]


def test_profiler_arguments_and_states() -> None:
    with pytest.raises(ValueError, match="interval"):
        wasmkit.Profiler(interval=0)
    profiler = wasmkit.Profiler()
    profiler.start()
    with pytest.raises(RuntimeError, match="running already"):
        profiler.start()
    profiler.stop()
    profiler.stop()  # stopping a stopped profiler does nothing
    assert profiler.samples == [] and profiler.stacks() == Counter()
    check_gecko_profile(profiler.firefox_profile())


def test_flame_graph_widths_and_names() -> None:
    stacks = Counter({("main", "work", "a<b&c>"): 75, ("main", "idle"): 25})
    document = flamegraph.svg(stacks, "test")
    boxes = {name: width for name, width, _ in _boxes(document)}
    assert boxes["all"] == pytest.approx(boxes["main"])
    assert boxes["work"] == pytest.approx(3 * boxes["idle"], rel=0.01)
    assert boxes["a<b&c>"] == pytest.approx(boxes["work"])
    titles = [title.text for title in ET.fromstring(document).iter("{http://www.w3.org/2000/svg}title")]
    assert "work (75 samples, 75.00%)" in titles
    assert flamegraph.svg(Counter(), "nothing").startswith("<?xml")  # no samples: an empty graph


def _boxes(document: str) -> list[tuple[str, float, float]]:
    """Each box of a flame graph: its function's name (from its title), width and y."""
    ns = "{http://www.w3.org/2000/svg}"
    boxes = []
    for group in ET.fromstring(document).iter(f"{ns}g"):
        title = group.find(f"{ns}title")
        rect = group.find(f"{ns}rect")
        assert title is not None and rect is not None and title.text
        boxes.append((title.text.rsplit(" (", 1)[0], float(rect.get("width", 0)), float(rect.get("y", 0))))
    return boxes


def _texts(document: str) -> set[str]:
    return {text.text or "" for text in ET.fromstring(document).iter("{http://www.w3.org/2000/svg}text")}


def test_the_stores_of_spawned_threads_profile_as_their_parent_does() -> None:
    from wasmkit.wasi.threads import _sibling

    assert _sibling(wasmkit.Store(profiling=True)).profiling
    assert not _sibling(wasmkit.Store()).profiling
