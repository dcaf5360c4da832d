"""The `calc` world's exports, built into a component by componentize-py (tests/component/test_componentize_py.py)."""

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import ops
from wit_world.imports import host


class Ops(exports.Ops):
    def describe(self, s, c, p):
        return f"{type(s).__name__}:{getattr(s, 'value', None)}|{c.name}|{p.value}"

    def divide(self, a, b):
        if b == 0:
            raise Err("division by zero")
        return a // b

    def first(self, xs):
        return xs[0] if xs else None

    def scale(self, ps, k):
        return [ops.Point(p.x * k, p.y * k) for p in ps]

    def reverse(self, b):
        return bytes(reversed(b))

    def weigh(self, a):
        return a.total() * 2

    def shout(self, s):
        return host.upper(s) + "!"
