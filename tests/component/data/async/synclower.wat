;; A synchronous lowering of another component's async export (`slow-double`, which yields
;; twice before it returns), for tests/component/test_async_run.py (run by wasmkit and by
;; `wasmtime run -W component-model-async=y --invoke`): `run-async` (of an async type, lifted
;; synchronously) waits for it; `run` (of a synchronous type) may not block, and traps.
(component
  (component $callee
    (core module $m
      (import "" "task.return" (func $ret (param i32)))
      (import "" "context.get" (func $cget (result i32)))
      (import "" "context.set" (func $cset (param i32)))
      (func (export "slow-double") (param i32) (result i32)
        (call $cset (i32.shl (local.get 0) (i32.const 8))) i32.const 1)
      (func (export "cb") (param i32 i32 i32) (result i32)
        (call $cset (i32.add (call $cget) (i32.const 1)))
        (if (i32.lt_u (i32.and (call $cget) (i32.const 255)) (i32.const 2)) (then (return (i32.const 1))))
        (call $ret (i32.shr_u (call $cget) (i32.const 7)))
        i32.const 0))
    (core func $ret (canon task.return (result u32)))
    (core func $cget (canon context.get i32 0))
    (core func $cset (canon context.set i32 0))
    (core instance $i (instantiate $m (with "" (instance
      (export "task.return" (func $ret)) (export "context.get" (func $cget)) (export "context.set" (func $cset))))))
    (func (export "slow-double") async (param "x" u32) (result u32)
      (canon lift (core func $i "slow-double") async (callback (core func $i "cb")))))
  (instance $callee (instantiate $callee))
  (alias export $callee "slow-double" (func $slow-double))
  (core func $slow-double (canon lower (func $slow-double)))
  (core module $main
    (import "" "slow-double" (func $slow-double (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) (i32.add (call $slow-double (local.get 0)) (i32.const 1))))
  (core instance $main (instantiate $main (with "" (instance (export "slow-double" (func $slow-double))))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $main "run")))
  (func (export "run-async") async (param "x" u32) (result u32) (canon lift (core func $main "run")))
)
