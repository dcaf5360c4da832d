"""WebAssembly types: value types, function types, limits and the types of tables, memories and
globals. Plain immutable values; nothing here knows about bytes or text."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "ValType",
    "HeapType",
    "RefType",
    "ValueType",
    "ref_type",
    "REF_FUNC",
    "PackedType",
    "StorageType",
    "FieldType",
    "StructType",
    "ArrayType",
    "DefinedType",
    "FuncType",
    "Limits",
    "TableType",
    "MemoryType",
    "GlobalType",
    "ExternKind",
    "ExternType",
    "TagType",
    "PAGE_SIZE",
    "MAX_PAGES",
    "MAX_PAGES_64",
]

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB of 32-bit addressable memory
MAX_PAGES_64 = 1 << 48  # memory64's bound: 2^48 pages (256 TiB), so that sizes in bytes fit in 64 bits


class ValType(enum.IntEnum):
    """A value type with a one-byte encoding: the numbers, v128, and the nullable references
    to an abstract heap type (`funcref` is `(ref null func)`). The integer value is the type's
    binary encoding. Every other reference type is a `RefType`."""

    I32 = 0x7F
    I64 = 0x7E
    F32 = 0x7D
    F64 = 0x7C
    V128 = 0x7B
    FUNCREF = 0x70
    EXTERNREF = 0x6F
    ANYREF = 0x6E
    EQREF = 0x6D
    I31REF = 0x6C
    STRUCTREF = 0x6B
    ARRAYREF = 0x6A
    EXNREF = 0x69
    NULLEXNREF = 0x74
    NULLFUNCREF = 0x73
    NULLEXTERNREF = 0x72
    NULLREF = 0x71

    # Hash as the int does, in C: Enum's own __hash__ is Python code, and function types (tuples
    # of these) are hashed whenever a function is made.
    __hash__ = int.__hash__

    @property
    def text(self) -> str:
        """The type's name in the text format (`i32`, `funcref`, ...)."""
        return _TEXT_NAMES[self]

    @property
    def is_num(self) -> bool:
        return self in (ValType.I32, ValType.I64, ValType.F32, ValType.F64)

    @property
    def is_ref(self) -> bool:
        return self < 0x7B

    @property
    def nullable(self) -> bool:
        """True for every reference type with a one-byte encoding."""
        return self.is_ref

    @property
    def heap(self) -> "HeapType":
        """The heap type a reference type refers to (ValueError for numbers and vectors)."""
        return HeapType(int(self))

    @property
    def defaultable(self) -> bool:
        """Whether a local of this type starts with a default value (zero or null)."""
        return True

    @classmethod
    def from_text(cls, name: str) -> "ValType | None":
        """The value type named `name` in the text format, or None."""
        return _BY_TEXT.get(name)

    def __str__(self) -> str:
        return self.text


class HeapType(enum.IntEnum):
    """An abstract heap type: what a reference may point to. The integer value is the binary
    encoding (the same byte as the nullable shorthand reference type). A concrete heap type is
    a type index, a plain int."""

    EXN = 0x69
    ARRAY = 0x6A
    STRUCT = 0x6B
    I31 = 0x6C
    EQ = 0x6D
    ANY = 0x6E
    EXTERN = 0x6F
    FUNC = 0x70
    NONE = 0x71
    NOEXTERN = 0x72
    NOFUNC = 0x73
    NOEXN = 0x74

    __hash__ = int.__hash__

    @property
    def text(self) -> str:
        return self.name.lower()

    @classmethod
    def from_text(cls, name: str) -> "HeapType | None":
        """The abstract heap type named `name` in the text format, or None."""
        return _HEAP_BY_TEXT.get(name)


@dataclass(frozen=True, slots=True)
class RefType:
    """A reference type without a one-byte encoding: non-nullable (`(ref func)`), or to a
    concrete heap type, a type index (`(ref null $t)`). Made through `ref_type`, so that each
    reference type has one representation: `(ref null func)` is `ValType.FUNCREF`."""

    nullable: bool
    heap: HeapType | int

    is_ref = True
    is_num = False

    @property
    def defaultable(self) -> bool:
        return self.nullable

    @property
    def text(self) -> str:
        heap = self.heap.text if isinstance(self.heap, HeapType) else str(self.heap)
        return f"(ref null {heap})" if self.nullable else f"(ref {heap})"

    def __str__(self) -> str:
        return self.text


ValueType = ValType | RefType
"""Any value type."""

REF_FUNC = RefType(False, HeapType.FUNC)
"""`(ref func)`: the type of `ref.func`'s abstract result, and of element segments that list
function indices."""


def ref_type(nullable: bool, heap: HeapType | int) -> ValueType:
    """The reference type `(ref null? heap)`, in its one representation: the ValType shorthand
    for a nullable abstract heap type, else a RefType."""
    if nullable and isinstance(heap, HeapType):
        return ValType(int(heap))
    return RefType(nullable, heap)


_TEXT_NAMES = {
    ValType.I32: "i32",
    ValType.I64: "i64",
    ValType.F32: "f32",
    ValType.F64: "f64",
    ValType.V128: "v128",
    ValType.FUNCREF: "funcref",
    ValType.EXTERNREF: "externref",
    ValType.ANYREF: "anyref",
    ValType.EQREF: "eqref",
    ValType.I31REF: "i31ref",
    ValType.STRUCTREF: "structref",
    ValType.ARRAYREF: "arrayref",
    ValType.EXNREF: "exnref",
    ValType.NULLEXNREF: "nullexnref",
    ValType.NULLFUNCREF: "nullfuncref",
    ValType.NULLEXTERNREF: "nullexternref",
    ValType.NULLREF: "nullref",
}
_BY_TEXT = {name: vt for vt, name in _TEXT_NAMES.items()}
_HEAP_BY_TEXT = {heap.text: heap for heap in HeapType}


@dataclass(frozen=True, slots=True)
class FuncType:
    """A function type `[params] -> [results]`. As a definition of the type section it may
    declare a supertype (a type index) and be open to subtypes (`final=False`), as every
    defined type may (GC)."""

    params: tuple[ValueType, ...] = ()
    results: tuple[ValueType, ...] = ()
    supertypes: tuple[int, ...] = ()
    final: bool = True

    @property
    def kind(self) -> "HeapType":
        """The abstract heap type over this one: `func`."""
        return HeapType.FUNC

    def storage_types(self) -> tuple["StorageType", ...]:
        """Every type the definition names: parameters, then results."""
        return (*self.params, *self.results)

    def __str__(self) -> str:
        params = " ".join(map(str, self.params))
        results = " ".join(map(str, self.results))
        return f"[{params}] -> [{results}]"

    def __repr__(self) -> str:
        params = ", ".join(map(str, self.params))
        results = ", ".join(map(str, self.results))
        return f"FuncType(({params}) -> ({results}))"


class PackedType(enum.IntEnum):
    """A storage type narrower than any value type, for struct fields and array elements (GC).
    The integer value is the binary encoding."""

    I8 = 0x78
    I16 = 0x77

    __hash__ = int.__hash__

    @property
    def text(self) -> str:
        return self.name.lower()

    @property
    def bits(self) -> int:
        return 8 if self is PackedType.I8 else 16


StorageType = ValueType | PackedType


@dataclass(frozen=True, slots=True)
class FieldType:
    """A struct field or an array's element: what it stores, and whether it can be set."""

    storage: StorageType
    mutable: bool = False

    @property
    def unpacked(self) -> ValueType:
        """The value type of what is read: i32 for a packed field."""
        return ValType.I32 if isinstance(self.storage, PackedType) else self.storage

    @property
    def text(self) -> str:
        return f"(mut {self.storage.text})" if self.mutable else self.storage.text


@dataclass(frozen=True, slots=True)
class StructType:
    """A struct type (GC): its fields, in order."""

    fields: tuple[FieldType, ...] = ()
    supertypes: tuple[int, ...] = ()
    final: bool = True

    @property
    def kind(self) -> "HeapType":
        return HeapType.STRUCT

    def storage_types(self) -> tuple[StorageType, ...]:
        return tuple(field.storage for field in self.fields)


@dataclass(frozen=True, slots=True)
class ArrayType:
    """An array type (GC): the type of its elements."""

    element: FieldType
    supertypes: tuple[int, ...] = ()
    final: bool = True

    @property
    def kind(self) -> "HeapType":
        return HeapType.ARRAY

    def storage_types(self) -> tuple[StorageType, ...]:
        return (self.element.storage,)


DefinedType = FuncType | StructType | ArrayType
"""What the type section defines at each index."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits of a table (in elements) or a memory (in pages)."""

    min: int
    max: int | None = None

    def __str__(self) -> str:
        return f"{self.min}" if self.max is None else f"{self.min} {self.max}"


@dataclass(frozen=True, slots=True)
class TableType:
    """A table type. `address_type` is I32, or I64 for a 64-bit table (table64, 3.0): the type
    of the indices that its instructions take and of its size."""

    limits: Limits
    elem: ValueType
    address_type: ValType = ValType.I32

    @property
    def is_64(self) -> bool:
        return self.address_type == ValType.I64


@dataclass(frozen=True, slots=True)
class MemoryType:
    """A memory type. `address_type` is I32, or I64 for a 64-bit memory (memory64, 3.0): the
    type of its addresses and of its size in pages. A shared memory (threads proposal) can be
    used by several threads at once and must have a maximum."""

    limits: Limits
    address_type: ValType = ValType.I32
    shared: bool = False

    @property
    def is_64(self) -> bool:
        return self.address_type == ValType.I64


@dataclass(frozen=True, slots=True)
class GlobalType:
    valtype: ValueType
    mutable: bool = False


class ExternKind(enum.IntEnum):
    """The kind of an import or export. The integer value is the binary encoding."""

    FUNC = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3
    TAG = 4  # exception handling

    @property
    def text(self) -> str:
        return ("func", "table", "memory", "global", "tag")[self]


@dataclass(frozen=True, slots=True)
class TagType:
    """An exception tag: the index of the function type giving its payload (its parameters;
    it has no results)."""

    type_index: int


ExternType = FuncType | TableType | MemoryType | GlobalType | TagType
