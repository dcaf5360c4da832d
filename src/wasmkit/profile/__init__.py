"""The guest profiler: samples of the wasm call stack, written for the Firefox Profiler or drawn
as a flame graph (see `sampler.Profiler`)."""

from .sampler import Profiler, Sample

__all__ = ["Profiler", "Sample"]
