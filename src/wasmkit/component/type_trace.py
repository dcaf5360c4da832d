"""The types an instantiation's walk gives each definition, worked out once per component.

Instantiation (`instantiate`) walks a component's definitions beside the validator's scope
(`validate.TypeScope`), which gives each index its type. Those types depend on the
component alone, not on the imports or the store, yet working them out again for every
instance was about a third of a request's instantiation when `wasmkit serve` makes an
instance of a componentize-py component per request.

So the first instantiation that completes records, for each scope it made (the outermost
and one per nested component instantiated, in the order the walk made them), the types
each `definition` added to each index space, and the scope's imports and exports; later
instantiations replay that record: a `ReplayedScope` adds the recorded types as the walk
reaches each definition, and checks nothing (the component was validated when it was
loaded). The type objects are shared by the instances: what is bound to them per instance
(the run-time resource types, the names of value types) is kept by each instantiation's
`Linking`, keyed by them, never stored in them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .syntax import CoreSort, Section, Sort
from .types import Entity
from .validate import CoreModules, TypeScope

__all__ = ["TypeTrace", "Tracing", "ReplayedScope"]

# A definition's types: (position of the space among a scope's spaces, the types it added).
_Batch = tuple[tuple[int, tuple[object, ...]], ...]


@dataclass(frozen=True)
class _ScopeRecord:
    """One scope as a completed walk left it: what each definition added, its imports and exports."""

    batches: tuple[_Batch, ...]
    imports: dict[str, Entity]
    exports: dict[str, Entity]


class TypeTrace:
    """A component's record of its scopes' types (see the module's docstring): empty until
    an instantiation completes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.scopes: tuple[_ScopeRecord, ...] | None = None

    def publish(self, scopes: list[_RecordingScope]) -> None:
        """Keep the scopes of an instantiation that completed (the first one's only)."""
        with self._lock:
            if self.scopes is None:
                self.scopes = tuple(_ScopeRecord(tuple(s.batches), s.imports, s.exports) for s in scopes)


class _RecordingScope(TypeScope):
    """A validator scope that notes what each definition added to its index spaces."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.batches: list[_Batch] = []

    def definition(self, section: Section, item: object) -> None:
        spaces = _spaces(self.core, self.spaces)
        before = [len(space) for space in spaces]
        super().definition(section, item)
        self.batches.append(
            tuple((k, tuple(space[n:])) for k, (space, n) in enumerate(zip(spaces, before)) if len(space) > n)
        )


class ReplayedScope:
    """A scope that gives each definition the types a recorded walk gave it, in order."""

    def __init__(self, record: _ScopeRecord) -> None:
        self.core: dict[CoreSort, list[object]] = {sort: [] for sort in CoreSort}
        self.spaces: dict[Sort, list[object]] = {sort: [] for sort in Sort if sort != Sort.CORE}
        self.imports = record.imports
        self.exports = record.exports
        self._spaces = _spaces(self.core, self.spaces)
        self._batches = iter(record.batches)

    def definition(self, section: Section, item: object) -> None:
        for k, types in next(self._batches):
            self._spaces[k].extend(types)


def _spaces(core: dict[CoreSort, list[object]], spaces: dict[Sort, list[object]]) -> list[list[object]]:
    """A scope's index spaces in one order (core sorts, then the others), as batches number them."""
    return [*core.values(), *spaces.values()]


class Tracing:
    """One instantiation's scopes: replayed from `trace` if it holds a record, else made
    (checking nothing the component's validation did) and recorded, to be published into
    `trace` once the instantiation completes (`done`)."""

    def __init__(self, trace: TypeTrace | None, core_modules: CoreModules) -> None:
        self._trace = trace
        self._record = trace.scopes if trace is not None else None
        self._core_modules = core_modules
        self._made: list[_RecordingScope] = []
        self._replayed = 0

    def scope(self, outer: TypeScope | ReplayedScope | None) -> TypeScope | ReplayedScope:
        """The scope of the next component the walk instantiates (`outer`: where it is defined)."""
        if self._record is not None:
            self._replayed += 1
            return ReplayedScope(self._record[self._replayed - 1])
        made = _RecordingScope("component", outer, self._core_modules, checked=True)  # type: ignore[arg-type]
        self._made.append(made)
        return made

    def done(self) -> None:
        """The instantiation completed: its record, if it made one, is the component's."""
        if self._trace is not None and self._made:
            self._trace.publish(self._made)
