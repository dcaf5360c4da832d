"""The run-time resource types instantiation makes (`abi.ResourceType` subclasses):

- `DefinedResource`: a resource a component defines (`(type (resource (rep i32) (dtor ...)))`),
  one per definition per instance. Its handles reach the host as objects of `object_class`,
  a `GuestResource` subclass that the Python API gives the resource's methods once the
  instance's exports are known.
- `HostResource`: a resource the embedder defines, by a Python class given for a resource
  import (or none: then any Python object stands for one). Its rep, the i32 the component
  sees, indexes a table of the objects lent or given to components; an own handle given to
  the host arrives as the object itself, and an object of the class (an instance of it)
  passes as an own or borrow handle. When a component drops its own handle, the object is
  forgotten and its `close()` method, if it has one, is called.
"""

from __future__ import annotations

from collections.abc import Callable

from .abi import ResourceObject, ResourceType

__all__ = ["DefinedResource", "GuestResource", "HostResource"]


class GuestResource(ResourceObject):
    """A resource of a component held by the host. One the host owns and lets go of without
    closing it is dropped once garbage collected: its destructor runs when its instance is
    next called (not from the collector, which may run in the middle of a call)."""

    __slots__ = ()

    def __del__(self) -> None:
        rep = getattr(self, "_rep", None)  # (unset when a subclass's `__init__` raised first)
        if rep is not None and self.owned and self.type.dtor is not None:
            pending = getattr(self.type.impl, "pending_drops", None)
            if pending is not None:
                pending.append((self.type.dtor, rep))


class DefinedResource(ResourceType):
    """A resource defined by the component instance `impl`, destroyed by `dtor`."""

    def __init__(self, name: str, *, impl: object, dtor: Callable[[int], object] | None) -> None:
        super().__init__(name, impl=impl, dtor=dtor)
        self.object_class: type[ResourceObject] = GuestResource

    def wrap(self, rep: int, owned: bool) -> object:
        cls = self.object_class
        obj = object.__new__(cls)  # not the class's own `__new__`, which calls the constructor
        ResourceObject.__init__(obj, self, rep, owned)
        return obj


class HostResource(ResourceType):
    """A resource implemented by the host: Python objects of `cls` (any object when None)."""

    def __init__(self, name: str, cls: type | None) -> None:
        super().__init__(name, impl=None, dtor=self._drop)
        self.cls = cls
        self._objects: dict[int, object] = {}  # rep -> object held by a component
        self._reps: dict[int, int] = {}  # id(object) -> rep
        self._next = 1

    def wrap(self, rep: int, owned: bool) -> object:
        try:
            obj = self._objects[rep]
        except KeyError:
            raise ValueError(f"{self.name}: no host object for rep {rep}") from None
        if owned:  # ownership moves to the host: the component no longer holds it
            del self._objects[rep]
            del self._reps[id(obj)]
        return obj

    def unwrap(self, value: object, owned: bool) -> int:
        if self.cls is not None and not isinstance(value, self.cls):
            raise TypeError(f"expected a {self.cls.__name__} for resource {self.name}, got {type(value).__name__}")
        rep = self._reps.get(id(value))
        if rep is None:
            rep = self._next
            self._next = rep + 1 if rep < 0xFFFF_FFFF else 1
            self._objects[rep] = value
            self._reps[id(value)] = rep
        return rep

    def _drop(self, rep: int) -> None:
        obj = self._objects.pop(rep, None)
        if obj is None:
            return
        self._reps.pop(id(obj), None)
        close = getattr(obj, "close", None)
        if callable(close):
            close()
