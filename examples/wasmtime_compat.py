"""Code written for wasmtime-py, running on wasmkit: only the import changes."""

from wasmkit.compat import wasmtime

engine = wasmtime.Engine()
store = wasmtime.Store(engine)
module = wasmtime.Module(engine, '(module (func $hello (import "" "hello")) (func (export "run") (call $hello)))')


def say_hello() -> None:
    print("Hello from Python!")


hello = wasmtime.Func(store, wasmtime.FuncType([], []), say_hello)
instance = wasmtime.Instance(store, module, [hello])
run = instance.exports(store)["run"]
run(store)
