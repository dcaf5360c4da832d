"""`wasmkit validate` and `wasmkit objdump`: check modules, and show what is inside one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..binary.names import read_names
from ..component import is_component
from ..binary import write_module
from ..binary.reader import SectionSpan, looks_binary, read_module_layout
from ..errors import DecodeError, WasmError
from ..syntax.module import Module
from ..syntax.types import DefinedType, FuncType, GlobalType, MemoryType, TableType, TagType
from ..validate import validate
from .common import CliError, module_from_bytes, read_input
from .features import add_feature_options, check_features, disabled_features
from .messages import error_message
from .objdump_wabt import SECTION_NAMES, wabt_report

if TYPE_CHECKING:
    from ..component.syntax import CoreModule

__all__ = ["import_desc", "objdump_lines", "register", "signature"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("validate", help="check that modules (and components) are valid")
    p.add_argument("files", nargs="+", metavar="FILE", help="a .wasm or .wat file, or - for stdin")
    add_feature_options(p)
    p.set_defaults(handler=_validate)

    # -h means --headers here, as in wabt's wasm-objdump; help is --help only.
    p = commands.add_parser("objdump", help="show the sections and contents of a module", add_help=False)
    p.add_argument("--help", action="help", help="show this help message and exit")
    p.add_argument("file", help="a .wasm or .wat file, or - for stdin")
    p.add_argument("-h", "--headers", action="store_true", help="print the section headers")
    p.add_argument("-x", "--details", action="store_true", help="print the contents of every section")
    p.add_argument("-d", "--disassemble", action="store_true", help="disassemble function bodies")
    p.set_defaults(handler=_objdump)


def _validate(args: argparse.Namespace) -> int:
    """Check every FILE, each fault reported in its line: exit status 1 if any is at fault."""
    disabled = disabled_features(args)
    faults = 0
    for path in args.files:
        try:
            data = read_input(path)
            if is_component(data):
                _validate_component(data)
                continue
            if data.lstrip().startswith(b"(component"):
                raise CliError(f"{path}: a component in the text format: wasmkit reads components in the binary format only")
            module = module_from_bytes(data, path)
            check_features(module, disabled)
            validate(module)
        except CliError as err:
            message = str(err)
        except WasmError as err:
            message = error_message(err, path)
        else:
            continue
        print(f"wasmkit: error: {message}", file=sys.stderr)
        faults += 1
    return 1 if faults else 0


def _validate_component(data: bytes) -> None:
    """Check a component: its binary, its index spaces and its types (WasmError if invalid)."""
    from ..component.reader import read_component  # what only components need, on first need
    from ..component.validate import validate_component

    validate_component(read_component(data))


def _objdump(args: argparse.Namespace) -> int:
    data = read_input(args.file)
    if is_component(data):
        from ..component.describe import component_lines  # what only components need, on first need
        from ..component.reader import read_component

        for line in component_lines(args.file, read_component(data), args.details, _nested_module):
            print(line)
        return 0
    if not looks_binary(data):  # text: show the binary it encodes to
        data = write_module(module_from_bytes(data, args.file))
    module, spans = read_module_layout(data)
    if args.headers or args.details or args.disassemble:
        lines = wabt_report(args.file, data, module, spans, args.headers, args.details, args.disassemble)
    else:
        lines = objdump_lines(args.file, module, spans)
    for line in lines:
        print(line)
    return 0


def _nested_module(core: CoreModule, details: bool, indent: str) -> Iterator[str]:
    """A core module nested in a component, as `objdump` shows a module (its sections, at their
    offsets in the component; with `details`, its types, imports, functions and exports)."""
    try:
        module, spans = read_module_layout(core.data)
    except DecodeError as err:
        yield f"{indent}malformed: {err.message} (at byte offset {core.offset + err.offset:#x})"
        return
    shifted = [SectionSpan(span.id, span.offset + core.offset, span.size, span.name) for span in spans]
    lines = list(objdump_lines("", module, shifted))[3:]  # without its file header
    if not details and "" in lines:
        lines = lines[: lines.index("")]
    for line in lines:
        yield indent + line if line else ""


def signature(ft: DefinedType) -> str:
    """`(i32, i64) -> (f32)`, or the kind of a type that is not a function's."""
    if not isinstance(ft, FuncType):
        return ft.kind.text
    params = ", ".join(t.text for t in ft.params)
    results = ", ".join(t.text for t in ft.results)
    return f"({params}) -> ({results})"


def import_desc(desc: object, module: Module) -> str:
    """What an import brings in: a function's or tag's signature, a table's, memory's or
    global's type."""
    if isinstance(desc, int):
        return f"func sig={desc} {signature(module.types[desc]) if desc < len(module.types) else ''}".rstrip()
    if isinstance(desc, TagType):
        sig = desc.type_index
        return f"tag sig={sig} {signature(module.types[sig]) if sig < len(module.types) else ''}".rstrip()
    if isinstance(desc, TableType):
        return f"table type={desc.elem.text} limits={desc.limits}" + (" i64" if desc.is_64 else "")
    if isinstance(desc, MemoryType):
        return f"memory pages: {desc.limits}" + (" i64" if desc.is_64 else "")
    gt: GlobalType = desc  # type: ignore[assignment]
    return f"global {gt.valtype.text} mutable={int(gt.mutable)}"


def objdump_lines(path: str, module: Module, spans: list[SectionSpan]) -> Iterator[str]:
    """The summary that `wasmkit objdump` prints without -h, -x or -d, line by line."""
    names = read_names(module)
    imported = len(module.func_type_indices()) - len(module.funcs)

    def func_name(index: int) -> str:
        name = names.funcs.get(index)
        return f" <{name}>" if name else ""

    yield f"{path}:\tfile format wasm 0x1"
    yield ""
    yield "Sections:"
    for span in spans:
        label = SECTION_NAMES[span.id]
        extra = f' "{span.name}"' if span.id == 0 else ""
        yield f"  {label:>9} start={span.offset:#010x} end={span.offset + span.size:#010x} (size={span.size:#010x}){extra}"
    if module.types:
        yield ""
        yield "Types:"
        for i, ft in enumerate(module.types):
            yield f"  - type[{i}] {signature(ft)}"
    if module.imports:
        yield ""
        yield "Imports:"
        for imp in module.imports:
            yield f"  - {import_desc(imp.desc, module)} <- {imp.module}.{imp.name}"
    if module.funcs:
        yield ""
        yield "Functions:"
        for i, func in enumerate(module.funcs, start=imported):
            sig = signature(module.types[func.type_index]) if func.type_index < len(module.types) else "?"
            yield f"  - func[{i}] sig={func.type_index} {sig}{func_name(i)} locals={func.local_count} size={len(func.body)}"
    if module.exports:
        yield ""
        yield "Exports:"
        for export in module.exports:
            target = func_name(export.index) if export.kind == 0 else ""
            yield f"  - {export.kind.text}[{export.index}]{target} -> \"{export.name}\""
    if module.start is not None:
        yield ""
        yield f"Start: func[{module.start}]{func_name(module.start)}"
