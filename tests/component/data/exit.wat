;; A command component that exits with status 7 through wasi:cli/exit `exit-with-code`
;; (exit.wasm: `wasm-tools parse exit.wat -o exit.wasm`).
(component
  (import "wasi:cli/exit@0.2.0" (instance $exit
    (export "exit-with-code" (func (param "status-code" u8)))))
  (alias export $exit "exit-with-code" (func $exit-with-code))
  (core module $m
    (import "exit" "exit-with-code" (func $exit (param i32)))
    (func (export "run") (result i32)
      (call $exit (i32.const 7))
      unreachable))
  (core func $exit-lowered (canon lower (func $exit-with-code)))
  (core instance $exit-core (export "exit-with-code" (func $exit-lowered)))
  (core instance $i (instantiate $m (with "exit" (instance $exit-core))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance)))
