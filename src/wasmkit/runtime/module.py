"""`Module`: a validated module, the unit that is compiled once and instantiated many times."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from .. import collector
from ..binary import read_module
from ..binary.code import iter_instructions, ref_func_index
from ..binary.names import read_names
from ..binary.reader import body_spans_of, looks_binary
from ..syntax.module import Module as SyntaxModule
from ..syntax.types import ExternKind, ExternType
from ..opcodes import ALL, ALL_FEATURES, Feature
from ..progress import progress_bar
from ..validate import ValidModule, validate
from . import two_cores, verdicts
from .image import MemoryImage, build_image
from .source import ModuleSource, read_source

if TYPE_CHECKING:
    from ..engine.base import CompiledModule, Engine

__all__ = ["Module", "ModuleSource"]

_LARGE_CODE = 1 << 20  # bytes of function bodies
_CALLS = frozenset(op for op in ALL if "call" in op.name)  # call, call_indirect, and any later kind


class Module:
    """A module read (from binary or text), validated, and compiled on first use by each
    engine that instantiates it. `source` is what `wasmkit.load` takes: a file's path, wasm
    bytes, WAT text or a parsed module (see `runtime.source`). Raises DecodeError, ParseError
    or ValidationError; TypeError for a source of another kind, FileNotFoundError for a path
    that names no file. `features` are the proposals the module may use (every one wasmkit
    has, by default; `wasmkit.WASM_2_0` refuses what WebAssembly 3.0 added).

    A binary with more than `_LARGE_CODE` bytes of code, once valid, leaves a verdict in the
    cache directory (`runtime.verdicts`: keyed by its exact bytes, `features` and this
    wasmkit's reader and validator), and loads again without its function bodies decoded and
    checked. `cache=False` (`wasmkit run --no-cache`) neither reads nor writes verdicts."""

    def __init__(
        self, source: ModuleSource, name: str = "", features: frozenset[Feature] = ALL_FEATURES, *, cache: bool = True
    ) -> None:
        content, name = read_source(source, name)
        self._load(content, name, features, cache)

    @collector.paused()
    def _load(
        self,
        source: bytes | bytearray | memoryview | str | SyntaxModule,
        name: str,
        features: frozenset[Feature],
        cache: bool = True,
    ) -> None:
        """Read `source` (content, never a path), validate it, and get ready to compile."""
        self.name = name
        digest = verdict = None
        self.valid: ValidModule
        if isinstance(source, SyntaxModule):
            syntax = source
        elif not isinstance(source, str) and looks_binary(data := bytes(source)):
            digest = hashlib.sha256(data).digest()
            if cache and len(data) > _LARGE_CODE:  # a module of less code is checked in no time
                verdict = verdicts.recall(digest, features)
            if verdict is None and features == ALL_FEATURES and len(data) > two_cores.MIN_CODE:
                with progress_bar("validating") as progress:
                    on_two_cores = two_cores.read_and_validate(data, progress, digest)
                if on_two_cores is not None:
                    self._loaded(on_two_cores, features, keep_verdict=cache)
                    return
            if verdict is None:
                syntax = read_module(data, features)
            else:
                syntax = read_module(data, features, scan_bodies=False, body_spans=verdict.body_spans)
        else:
            from ..text import decode_source, parse_module  # only text sources need the parser

            text = source if isinstance(source, str) else decode_source(bytes(source), name)
            syntax = parse_module(text, name, debug_names=True)
        if verdict is not None:  # the bodies are known valid: the rest is checked in no time
            valid = validate(syntax, None, features, known_tail_calls=verdict.tail_calls, digest=digest)
            self._loaded(valid, features, keep_verdict=False)
            return
        # Validating a large module takes seconds: show how far it got, on a terminal.
        large = sum(len(f.body) for f in syntax.funcs) > _LARGE_CODE
        with progress_bar("validating") as progress:
            valid = validate(syntax, progress if large else None, features, digest=digest)
        self._loaded(valid, features, keep_verdict=cache and large)

    def _loaded(self, valid: ValidModule, features: frozenset[Feature], keep_verdict: bool) -> None:
        """Take `valid`, just validated under `features`, as this module's, keeping a verdict
        on it if told (and it was read from a binary), and get ready to compile."""
        self.valid = valid
        if keep_verdict and valid.digest is not None:
            verdicts.record(valid.digest, features, valid.tail_calls, body_spans_of(valid.module.funcs))
        self._compiled: dict[tuple[int, bool, bool], CompiledModule] = {}  # by (engine, metered, profiled)
        self._calls_nothing: dict[int, bool] = {}

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], features: frozenset[Feature] = ALL_FEATURES, *, cache: bool = True
    ) -> "Module":
        """Read a .wasm or .wat file."""
        with open(path, "rb") as f:
            return cls.from_content(f.read(), os.fspath(path), features, cache=cache)

    @classmethod
    def from_content(
        cls, source: bytes | bytearray | memoryview | str | SyntaxModule, name: str = "",
        features: frozenset[Feature] = ALL_FEATURES, *, cache: bool = True,
    ) -> "Module":  # fmt: skip
        """The module `source` holds, taken as content even where it would look like a path
        (a file's bytes, or what wasmtime-py's `Module` takes)."""
        module = cls.__new__(cls)
        module._load(source, name, features, cache)
        return module

    @property
    def syntax(self) -> SyntaxModule:
        return self.valid.module

    @property
    def imports(self) -> list[tuple[str, str, ExternType]]:
        """(module, name, type) of each import, in order."""
        out: list[tuple[str, str, ExternType]] = []
        for imp in self.syntax.imports:
            desc = imp.desc
            out.append((imp.module, imp.name, self.syntax.func_type(desc) if isinstance(desc, int) else desc))
        return out

    @property
    def exports(self) -> list[tuple[str, ExternType]]:
        """(name, type) of each export, in order."""
        valid = self.valid
        spaces: dict[ExternKind, Sequence[ExternType]] = {
            ExternKind.FUNC: valid.func_types,
            ExternKind.TABLE: valid.table_types,
            ExternKind.MEMORY: valid.memory_types,
            ExternKind.GLOBAL: valid.global_types,
            ExternKind.TAG: self.syntax.tag_types(),  # a tag as its module declares it (by type index)
        }
        return [(e.name, spaces[e.kind][e.index]) for e in self.syntax.exports]

    @cached_property
    def type_ids(self) -> tuple[int, ...]:
        """The type id (`runtime.func.type_id`) of every type of the type section; the
        supertypes the types declare are registered for casts (`heap.register_supertype`)."""
        from .func import type_id
        from .heap import register_supertype

        ids = tuple(map(type_id, self.valid.type_keys))
        for i, definition in enumerate(self.syntax.types):
            for supertype in definition.supertypes:
                register_supertype(ids[i], ids[supertype])
        return ids

    @cached_property
    def func_type_ids(self) -> tuple[int, ...]:
        """The type id of every function, imported ones first."""
        type_ids = self.type_ids
        return tuple(type_ids[i] for i in self.syntax.func_type_indices())

    @cached_property
    def function_names(self) -> dict[int, str]:
        """A name for each function: from the name section, else the name it is exported under."""
        names = {e.index: e.name for e in reversed(self.syntax.exports) if e.kind == ExternKind.FUNC}
        names.update(read_names(self.syntax).funcs)
        return names

    @cached_property
    def element_functions(self) -> tuple[tuple[int, ...] | None, ...]:
        """Per element segment, the function indices it lists when every item is `ref.func N`
        (the common case: such a segment is written to its table without a `Func` per item,
        see `runtime.table`), else None. Read once per module, not per instance."""
        found: list[tuple[int, ...] | None] = []
        for seg in self.syntax.elems:
            indices = tuple(map(ref_func_index, seg.init))
            found.append(None if None in indices else indices)  # type: ignore[arg-type]
        return tuple(found)

    @cached_property
    def data_image(self) -> MemoryImage | None:
        """The image of the active data segments (see `runtime.image`), None when an offset
        reads a global: made once per module."""
        return build_image(self.syntax.datas)

    def function_name(self, index: int) -> str:
        """Function `index`'s name (see `function_names`), else `func[index]`."""
        return self.function_names.get(index) or f"func[{index}]"

    def calls_nothing(self, index: int) -> bool:
        """Whether defined function `index` (in the function index space) makes no call of
        any kind, so that a call of it never nests (looked at once, on first asking)."""
        found = self._calls_nothing.get(index)
        if found is None:
            body = self.syntax.funcs[index - self.valid.imported_func_count].body
            found = self._calls_nothing[index] = not any(instr.op in _CALLS for instr in iter_instructions(body))
        return found

    def compiled(self, engine: "Engine", metered: bool = False, profiled: bool = False) -> "CompiledModule":
        """The module compiled by `engine` (once per engine and variant)."""
        key = (id(engine), metered, profiled)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = engine.compile(self.valid, metered, profiled=profiled)
        return found

    def __repr__(self) -> str:
        label = f" {self.name}" if self.name else ""
        return f"<Module{label} exports={[name for name, _ in self.exports]}>"
