"""WASI 0.3 (the async component-model WASI) for wasmkit: the host side.

The 0.3.0 interfaces come with the 0.2 host (`wasmkit.wasi.preview2.host_imports` holds both,
keyed "...@0.2.0" and "...@0.3.0"), made over one instance's WASI state: `cli` (stdio as
streams), `clocks` (async waits), `filesystem` (0.2's descriptors with streams), `sockets`
(refused), `http` (types and client; the `handler` export is called by `wasmkit serve`);
environment, exit, terminals and random are 0.2's objects under 0.3's names
(`host`). Streams and futures are the async ABI's host streams
(`wasmkit.component.async_.host_streams`). docs/components.md, "WASI 0.3", says what there is.
"""

from .host import VERSION, interfaces

__all__ = ["VERSION", "interfaces"]
