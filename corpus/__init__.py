"""The real-module corpus: its manifest and the script that fetches it (see fetch.py)."""
