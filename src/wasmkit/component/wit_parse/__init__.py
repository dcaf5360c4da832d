"""WIT text to `wit`'s model (`Resolve`), as wit-parser reads it: `lexer` (text to tokens),
`parser` (tokens to a syntax tree per file), `resolver` (one package's trees to its model),
`worlds` (a world's includes and elaboration), `gates` (feature gates) and `loader` (files and
directories to packages, resolved in dependency order). `print_wit` of the result is what
`wasm-tools component wit` prints for the same WIT."""

from .loader import load_path, load_sources, select_world

__all__ = ["load_path", "load_sources", "select_world"]
