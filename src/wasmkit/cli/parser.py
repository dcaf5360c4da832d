"""argparse's parser as the command line needs it: a mistyped command, choice or option gets
the nearest correct one suggested, and a subcommand reports the options it does not know
with its own usage (argparse leaves them to the top-level parser, whose usage does not list
them)."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["Parser"]


def _nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate `word` is most likely a typo of, if one is close enough."""
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return close[0] if close else None


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors suggest what was meant. Its subcommands' parsers are of
    this class too (argparse makes them with the parent's class); those marked `is_subcommand`
    refuse unknown options themselves."""

    is_subcommand = False
    command_names: tuple[str, ...] = ()  # the top-level parser's subcommands

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        known, extras = super().parse_known_args(args, namespace)
        if extras and self.is_subcommand:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._suggestion(extras)}")
        return known, extras

    def _suggestion(self, extras: list[str]) -> str:
        """` (did you mean --dir?)` for the first unknown long option close to a known one."""
        options = [option for option in self._option_string_actions if option.startswith("--")]
        for extra in extras:
            if extra.startswith("--"):
                meant = _nearest(extra.partition("=")[0], options)
                if meant:
                    return f" (did you mean {meant}?)"
        return ""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is not None and isinstance(value, str) and value not in choices:
            meant = _nearest(value, [str(choice) for choice in choices])
            if meant:
                raise argparse.ArgumentError(action, f"invalid choice: {value!r} (did you mean {meant!r}?)")
        super()._check_value(action, value)
