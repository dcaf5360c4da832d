"""`python -m wasmkit`: the same as the `wasmkit` command."""

import sys

from .cli import main

sys.exit(main())
