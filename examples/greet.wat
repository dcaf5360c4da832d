;; A module that calls back into its host: it imports `env.log` and hands it a string in its
;; memory. From Python: see the README, or examples/quickstart.py.
(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello from wasm memory")
  (func (export "greet")
    (call $log (i32.const 16) (i32.const 22))))
