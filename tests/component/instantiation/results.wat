;; A component whose export passes a host function's `result<u32, string>` through: the
;; lowered import stores it at an address, and the lifted export returns that address.
(component
  (import "parse" (func $parse (param "s" string) (result (result u32 (error string)))))
  (core module $libc
    (memory (export "mem") 1)
    (global $top (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $top) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $top (i32.add (local.get $p) (local.get 3)))
      (memory.copy (local.get $p) (local.get 0) (local.get 1))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (core func $parse_low (canon lower (func $parse) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (core module $m
    (import "host" "parse" (func $parse (param i32 i32 i32)))
    (func (export "try") (param i32 i32) (result i32)
      (call $parse (local.get 0) (local.get 1) (i32.const 64))
      (i32.const 64)))
  (core instance $host (export "parse" (func $parse_low)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "try-parse") (param "s" string) (result (result u32 (error string)))
    (canon lift (core func $i "try") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
)
