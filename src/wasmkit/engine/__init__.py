"""Engines: turn a validated module into code a store can run (DESIGN.md §4)."""

from .base import CompiledModule, Engine
from .registry import get_engine

__all__ = ["Engine", "CompiledModule", "get_engine"]
