"""wasmkit's version: one definition, which the package, pyproject.toml (through setuptools'
`attr:`), the command line and the code caches (whose keys include it) all read."""

__version__ = "0.1.0"
