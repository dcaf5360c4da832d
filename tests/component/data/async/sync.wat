;; Synchronous lifts and lowerings in a component that uses the async ABI, for
;; tests/component/test_async_run.py (Python alone: the import is the host's): `double` (an
;; async function type lifted synchronously) calls the async import `slow-double` lowered
;; synchronously, so its core code waits for the host's coroutine; `ctx` (a sync function)
;; uses its task's context slot; `bad-return` calls `task.return`, which is for async lifts;
;; `sync-double` (a sync function) calls `slow-double` too, which it may do only if the
;; coroutine returns without waiting.
(component
  (import "slow-double" (func $slow-double async (param "x" u32) (result u32)))
  (core func $slow-double (canon lower (func $slow-double)))
  (core func $ret (canon task.return (result u32)))
  (core func $cget (canon context.get i32 0))
  (core func $cset (canon context.set i32 0))
  (core module $main
    (import "" "slow-double" (func $slow-double (param i32) (result i32)))
    (import "" "task.return" (func $ret (param i32)))
    (import "" "context.get" (func $cget (result i32)))
    (import "" "context.set" (func $cset (param i32)))
    (func (export "double") (param i32) (result i32)
      (call $slow-double (local.get 0)))
    (func (export "ctx") (result i32)
      (call $cset (i32.add (call $cget) (i32.const 5))) (call $cget))
    (func (export "bad-return") (result i32)
      (call $ret (i32.const 1)) i32.const 1))
  (core instance $main (instantiate $main (with "" (instance
    (export "slow-double" (func $slow-double))
    (export "task.return" (func $ret))
    (export "context.get" (func $cget))
    (export "context.set" (func $cset))))))
  (func (export "double") async (param "x" u32) (result u32) (canon lift (core func $main "double")))
  (func (export "ctx") (result u32) (canon lift (core func $main "ctx")))
  (func (export "sync-double") (param "x" u32) (result u32) (canon lift (core func $main "double")))
  (func (export "bad-return") (result u32) (canon lift (core func $main "bad-return")))
)
