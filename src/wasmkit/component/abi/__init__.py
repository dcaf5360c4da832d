"""The canonical ABI for values (WebAssembly/component-model, design/mvp/CanonicalABI.md):
how each component value type is laid out in linear memory and flattened into core values,
how values are lifted (core -> Python) and lowered (Python -> core), flat and in memory,
strings in each encoding through `realloc`, resource handles and their tables, and the traps
the ABI requires on bad values. Engine-independent: it works over the small interface in
`context` (a linear memory, a realloc callable, a string encoding, a handle table).

    abi = CanonicalAbi()                      # one per component
    calls = abi.function(func_type)           # a `types.Func`
    cx = Context(Options(memory, realloc, StringEncoding.UTF8), handles, instance=inst,
                 scope=BorrowScope(), resource_types={resource: rtype})
    core_args = calls.lower_args(cx, [1, "two"])
    value = calls.lift_result(cx, core_results)

Python values: see docs/components.md, "Values".
"""

from .build import CanonicalAbi
from .calls import FunctionAbi
from .classes import GivenClasses, pascal_case, snake_case, upper_case
from .codec import Codec, FlatReader
from .context import BytesMemory, Context, LinearMemory, Options, Realloc, StringEncoding
from .lists import MAX_LIST_BYTE_LENGTH
from .resources import (
    MAX_HANDLES, BorrowScope, Handle, HandleTable, LendScope, ResourceObject, ResourceType,
    resource_drop, resource_new, resource_rep,
)  # fmt: skip
from .strings import MAX_STRING_BYTE_LENGTH
from .values import Err, Ok, Some, VariantCase

__all__ = [
    "CanonicalAbi", "GivenClasses", "FunctionAbi", "Codec", "FlatReader", "Context", "Options", "StringEncoding", "LinearMemory",
    "BytesMemory", "Realloc", "HandleTable", "Handle", "ResourceType", "ResourceObject", "BorrowScope", "LendScope",
    "resource_new", "resource_rep", "resource_drop", "Some", "Ok", "Err", "VariantCase", "snake_case", "pascal_case",
    "upper_case", "MAX_HANDLES", "MAX_LIST_BYTE_LENGTH", "MAX_STRING_BYTE_LENGTH",
]  # fmt: skip
