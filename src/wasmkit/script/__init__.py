"""Running .wast scripts (the official testsuite's format) against the runtime."""

from .runner import HostRef, Outcome, ScriptRunner

__all__ = ["ScriptRunner", "Outcome", "HostRef"]
