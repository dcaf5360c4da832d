"""Drop-in layers for code written against other WebAssembly runtimes' Python APIs."""
