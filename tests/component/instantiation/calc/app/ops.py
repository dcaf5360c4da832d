"""The `accumulator` resource of interface `ops` (componentize-py finds it by the interface's name)."""

from wit_world.exports import ops


class Accumulator(ops.Accumulator):
    def __init__(self, start: int) -> None:
        self.value = start

    def add(self, n: int) -> int:
        self.value += n
        return self.value

    def total(self) -> int:
        return self.value
