;; A component that imports an instance of one function and calls it: given another
;; component's exported instance in the instantiation tests.
(component
  (import "tools" (instance $t (export "again" (func (param "x" u32) (result u32)))))
  (alias export $t "again" (func $again))
  (core func $lowered (canon lower (func $again)))
  (core module $m
    (import "t" "again" (func $again (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) (i32.add (call $again (local.get 0)) (i32.const 1))))
  (core instance $imports (export "again" (func $lowered)))
  (core instance $i (instantiate $m (with "t" (instance $imports))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run")))
)
