"""Runners for the peers wasmkit is measured against."""
