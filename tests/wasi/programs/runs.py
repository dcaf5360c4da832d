"""The recorded runs of the C programs in this directory, and how to set each one up.

Each `NAME.json` next to `NAME.c` / `NAME.wasm` lists runs: the inputs (`args` after the
program name, `env`, `stdin`, and `fs`: null, "empty" for an empty directory preopened as
"/work", or "sandbox" for `trees.sandbox_tree` preopened as "/") and what wasmtime did with
them (`exit_code`, `stdout`, `stderr`, `trap`: whether it trapped, a trap's exit code being
134 as with `wasmtime run`; `tree`: the preopened directory afterwards). Long stdin is given as
`{"repeat": text, "times": n}`; output longer than 16 KiB is recorded as its size and SHA-256.
`record.py` refreshes the expectations; tests/wasi/test_programs.py checks wasmkit's WASI
against them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.wasi.trees import sandbox_tree

HERE = Path(__file__).resolve().parent


@dataclass
class Run:
    program: str
    args: list[str]
    env: dict[str, str]
    stdin: bytes
    fs: str | None
    expect: dict[str, object] = field(default_factory=dict)

    @property
    def wasm(self) -> Path:
        return HERE / f"{self.program}.wasm"

    @property
    def argv(self) -> list[str]:
        return [f"{self.program}.wasm", *self.args]

    @property
    def label(self) -> str:
        return " ".join([self.program, *self.args]) + (f" <{self.fs}>" if self.fs else "")

    def preopen(self, tmp: Path) -> list[tuple[Path, str]]:
        """Set up the run's directory under `tmp`; (host path, guest path) pairs to preopen."""
        if self.fs == "empty":
            work = tmp / "work"
            work.mkdir()
            return [(work, "/work")]
        if self.fs == "sandbox":
            return [(sandbox_tree(tmp), "/")]
        return []


def _stdin(spec: str | dict[str, object]) -> bytes:
    if isinstance(spec, dict):
        return str(spec["repeat"]).encode() * int(str(spec["times"]))
    return spec.encode()


def output(name: str, data: bytes) -> dict[str, object]:
    """How output `name` is recorded: as text, or by size and digest when long."""
    if len(data) <= 16384:
        return {name: data.decode("utf-8", "replace")}
    return {f"{name}_size": len(data), f"{name}_sha256": hashlib.sha256(data).hexdigest()}


def outcome(
    exit_code: int, trapped: bool, stdout: bytes, stderr: bytes, tree: dict[str, str] | None
) -> dict[str, object]:
    """A run's result in the recorded form."""
    result: dict[str, object] = {"exit_code": exit_code, "trap": trapped}
    result.update(output("stdout", stdout))
    result.update(output("stderr", stderr))
    if tree is not None:
        result["tree"] = tree
    return result


def load() -> list[Run]:
    runs = []
    for spec in sorted(HERE.glob("*.json")):
        for entry in json.loads(spec.read_text())["runs"]:
            runs.append(
                Run(
                    spec.stem,
                    entry.get("args", []),
                    entry.get("env", {}),
                    _stdin(entry.get("stdin", "")),
                    entry.get("fs"),
                    entry.get("expect", {}),
                )
            )
    return runs
