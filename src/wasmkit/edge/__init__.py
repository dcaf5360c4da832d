"""The edge server: HTTP requests answered by WebAssembly modules, one instance per request.

`wasmkit serve CONFIG` runs it (see `wasmkit.cli.serve` and docs/edge.md). The parts:
`config` reads WAGI's modules.toml, `routing` matches paths to routes, `cgi` turns a request
into a WASI program's environment and its output into a response, `handler` runs a route's
module for one request, and `app` is the ASGI application that ties them together (with
`metrics` and `logs`). Only `config`, `routing` and `cgi` work without the `serve` extra.
"""
