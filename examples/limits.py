"""Keep untrusted code in check: fuel (an instruction budget) and deadlines."""

import wasmkit

SPIN = '(module (func (export "spin") (loop (br 0))))'

# Fuel: the store runs metered code and traps when the budget is spent.
store = wasmkit.Store(fuel=100_000)
spin = wasmkit.load(SPIN, store=store).exports.spin
try:
    spin()
except wasmkit.Trap as trap:
    print("stopped:", trap.message, "| fuel left:", store.fuel)

# A deadline: interrupt() from a timer thread, here after 0.2 s.
store = wasmkit.Store(interruptible=True)
spin = wasmkit.load(SPIN, store=store).exports.spin
store.set_deadline(0.2)
try:
    spin()
except wasmkit.Trap as trap:
    print("stopped:", trap.message)
