"""Verdicts (`runtime.verdicts`): a large binary that was valid loads again without its function
bodies decoded and checked, keyed by its exact bytes, its features and this wasmkit's reader and
validator; an invalid module, a changed byte, a damaged verdict or `cache=False` (`wasmkit run
--no-cache`) gets the full checks. The threshold is lowered here so that small modules count."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import wasmkit
from wasmkit import WASM_2_0, DecodeError, ValidationError
from wasmkit.binary import reader as binary_reader
from wasmkit.cli import main
from wasmkit.runtime import module as runtime_module
from wasmkit.runtime import verdicts
from wasmkit.validate import module as validate_module

FUNCS = 20


def wasm(body: str = "(i32.add (local.get 0) (i32.const 7))", extra: str = "") -> bytes:
    """A module of FUNCS functions (more code than the lowered threshold), no constant
    expressions (so that the reader scans nothing but bodies), and `extra` fields."""
    funcs = "".join(f'(func (export "f{i}") (param i32) (result i32) {body})' for i in range(FUNCS))
    return wasmkit.write_module(wasmkit.parse_wat(f"(module {funcs} {extra})"))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache directory of the test's own, and a threshold the modules here pass."""
    monkeypatch.setenv("WASMKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(runtime_module, "_LARGE_CODE", 64)
    return tmp_path / "cache"


def counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Count the calls of `owner.name` (which still does its work)."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def refuse_body_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make checking a function body fail, and count the body scans of the reader."""

    def no_check(*args: object) -> bool:
        raise AssertionError("a function body was checked")

    monkeypatch.setattr(validate_module, "check_function", no_check)
    return counting(monkeypatch, binary_reader, "scan_expression")


def verdict_files(cache: Path) -> list[Path]:
    """The verdicts kept (each with its file of body spans beside it: see `spans_files`)."""
    return sorted((cache / "verdicts").glob("*.json")) if (cache / "verdicts").exists() else []


def spans_files(cache: Path) -> list[Path]:
    return sorted((cache / "verdicts").glob("*.spans")) if (cache / "verdicts").exists() else []


def test_a_second_load_trusts_the_verdict(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = wasm()
    first = wasmkit.Module(data)
    assert len(verdict_files(cache)) == 1
    scans = refuse_body_checks(monkeypatch)
    second = wasmkit.Module(data)
    assert scans == []
    assert second.syntax == first.syntax  # the bodies sliced by their sizes are the scanned ones
    assert second.valid == first.valid
    assert second.valid.digest == hashlib.sha256(data).digest()
    assert wasmkit.Instance(second).exports["f3"](5) == 12


def test_a_changed_byte_gets_the_full_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    data = wasm()
    wasmkit.Module(data)
    changed = data.replace(b"\x41\x07", b"\x41\x08", 1)  # i32.const 7 -> 8 in the first function
    assert changed != data
    checks = counting(monkeypatch, validate_module, "check_function")
    scans = counting(monkeypatch, binary_reader, "scan_expression")
    module = wasmkit.Module(changed)
    assert len(checks) == FUNCS and len(scans) == FUNCS
    assert module.valid.digest == hashlib.sha256(changed).digest()


def test_other_features_get_the_full_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    data = wasm()
    wasmkit.Module(data)
    checks = counting(monkeypatch, validate_module, "check_function")
    wasmkit.Module(data, features=WASM_2_0)
    assert len(checks) == FUNCS


def test_an_invalid_module_is_never_recorded(cache: Path) -> None:
    data = wasm(extra="(func (result i32) (i64.const 0))")
    for _ in range(2):
        with pytest.raises(ValidationError, match="type mismatch"):
            wasmkit.Module(data)
    assert verdict_files(cache) == []


def test_a_malformed_body_is_never_recorded(cache: Path) -> None:
    data = wasm(body="(i32.add (local.get 0) (i32.const 7))")
    malformed = data.replace(b"\x6a\x0b", b"\xff\x0b", 1)  # i32.add -> an unknown opcode
    for _ in range(2):
        with pytest.raises(DecodeError, match="illegal opcode"):
            wasmkit.Module(malformed)
    assert verdict_files(cache) == []


@pytest.mark.parametrize(
    "damage", [b"", b"\xff\xfe", b"{", b"[]", b"[" * 100_000, b'{"format": 1}', b'{"valid": false}']
)
def test_a_damaged_verdict_is_no_verdict(cache: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes) -> None:
    data = wasm()
    wasmkit.Module(data)
    (path,) = verdict_files(cache)
    path.write_bytes(damage)
    checks = counting(monkeypatch, validate_module, "check_function")
    assert wasmkit.Instance(wasmkit.Module(data)).exports["f0"](1) == 8
    assert len(checks) == FUNCS
    found = verdicts.recall(hashlib.sha256(data).digest(), wasmkit.ALL_FEATURES)  # written again
    assert found is not None and found.tail_calls is False


def test_an_unreadable_verdict_is_no_verdict(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = wasm()
    wasmkit.Module(data)
    (path,) = verdict_files(cache)
    path.unlink()
    path.mkdir()  # reading it fails, as does writing it again
    checks = counting(monkeypatch, validate_module, "check_function")
    wasmkit.Module(data)
    assert len(checks) == FUNCS


def test_a_verdict_on_other_bytes_is_not_taken(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict file that another module's verdict was copied over says which bytes it is on."""
    data, other = wasm(), wasm(body="(i32.sub (local.get 0) (i32.const 9))")
    wasmkit.Module(data)
    (path,) = verdict_files(cache)
    wasmkit.Module(other)
    (other_path,) = set(verdict_files(cache)) - {path}
    path.write_bytes(other_path.read_bytes())
    checks = counting(monkeypatch, validate_module, "check_function")
    wasmkit.Module(data)
    assert len(checks) == FUNCS


def test_without_the_cache_no_verdict_is_read_or_written(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = wasm()
    wasmkit.Module(data, cache=False)
    assert verdict_files(cache) == []
    wasmkit.Module(data)
    checks = counting(monkeypatch, validate_module, "check_function")
    wasmkit.Module.from_content(data, cache=False)
    assert len(checks) == FUNCS


def test_run_no_cache_writes_nothing(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.wasm"
    path.write_bytes(wasm())
    assert main(["run", "--no-cache", "--invoke", "f2", str(path), "1"]) == 0
    assert capsys.readouterr().out == "8\n"
    assert not cache.exists()
    assert main(["run", "--invoke", "f2", str(path), "1"]) == 0
    assert len(verdict_files(cache)) == 1


def test_run_with_a_disabled_feature_reads_as_before(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A verdict is on all features: `--disable-*` checks every body, as it did."""
    path = tmp_path / "m.wasm"
    path.write_bytes(wasm(body="(i32.extend8_s (local.get 0))"))
    assert main(["run", "--invoke", "f0", str(path), "1"]) == 0
    assert len(verdict_files(cache)) == 1
    assert main(["run", "--disable-sign-extension", "--invoke", "f0", str(path), "1"]) == 1
    assert "i32.extend8_s needs the sign-extension feature, disabled by --disable-sign-extension" in capsys.readouterr().err


@pytest.mark.parametrize("tail_calls", [True, False])
def test_tail_calls_round_trip(monkeypatch: pytest.MonkeyPatch, tail_calls: bool) -> None:
    extra = '(func $t (param i32) (result i32) (return_call 0 (local.get 0))) (export "t" (func $t))'
    data = wasm(extra=extra if tail_calls else "")
    assert wasmkit.Module(data).valid.tail_calls is tail_calls
    refuse_body_checks(monkeypatch)
    trusted = wasmkit.Module(data)
    assert trusted.valid.tail_calls is tail_calls
    if tail_calls:
        assert wasmkit.Instance(trusted).exports["t"](4) == 11


def test_a_second_load_cuts_the_bodies_at_the_kept_spans(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the spans kept, the code entries are not decoded one by one: each distinct local
    declaration is (here, all FUNCS functions declare the same: none)."""
    data = wasm()
    first = wasmkit.Module(data)
    assert len(spans_files(cache)) == 1
    decoded = counting(monkeypatch, binary_reader, "_local_runs")
    second = wasmkit.Module(data)
    assert decoded == [1]
    assert second.syntax == first.syntax


@pytest.mark.parametrize("damage", ["missing", "cut", "changed"])
def test_damaged_spans_are_read_past(cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    """Spans that are not the ones written are not used: the entries are decoded one by one
    (the bodies are still trusted: the verdict is whole)."""
    data = wasm()
    first = wasmkit.Module(data)
    (path,) = spans_files(cache)
    words = path.read_bytes()
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(words[:-8] if damage == "cut" else words[:8] + bytes([words[8] ^ 1]) + words[9:])
    scans = refuse_body_checks(monkeypatch)
    decoded = counting(monkeypatch, binary_reader, "_local_runs")
    second = wasmkit.Module(data)
    assert scans == [] and len(decoded) == FUNCS
    assert second.syntax == first.syntax


@pytest.mark.parametrize(
    "change", [lambda s: s[:-2], lambda s: [s[0] + 1] + s[1:], lambda s: s[:-1] + [s[-1] + 1], lambda s: s[2:] + s[:2]]
)
def test_spans_that_do_not_fit_the_code_section_are_not_used(change: Callable[[list[int]], list[int]]) -> None:
    data = wasm()
    syntax = wasmkit.read_module(data)
    spans = change(binary_reader.body_spans_of(syntax.funcs))
    assert wasmkit.read_module(data, scan_bodies=False, body_spans=spans) == syntax


def test_module_level_rules_are_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a verdict covers is the bodies: the rest of a trusted module is checked as ever
    (here, a monkeypatched module-level check is seen to run)."""
    data = wasm()
    wasmkit.Module(data)
    refuse_body_checks(monkeypatch)
    limits = counting(monkeypatch, validate_module, "check_module_limits")
    wasmkit.Module(data)
    assert limits == [1]


def test_small_and_text_modules_keep_no_verdict(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "_LARGE_CODE", 1 << 20)
    data = wasm()
    assert wasmkit.Module(data).valid.digest == hashlib.sha256(data).digest()
    monkeypatch.setattr(runtime_module, "_LARGE_CODE", 64)
    assert wasmkit.Module(wasmkit.print_wat(wasmkit.read_module(data))).valid.digest is None
    assert verdict_files(cache) == []


def test_reading_without_the_body_scan() -> None:
    data = wasm()
    assert wasmkit.read_module(data, scan_bodies=False) == wasmkit.read_module(data)
    # A code entry's size is still checked against the bytes there are.
    cut = data[: data.rindex(b"\x0b") - 1]  # the last body loses its end
    with pytest.raises(DecodeError):
        wasmkit.read_module(cut, scan_bodies=False)


def test_the_key_holds_the_reader_and_validator_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict of another reader or validator (here: another digest of their source) is none."""
    data = wasm()
    wasmkit.Module(data)
    digest = hashlib.sha256(data).digest()
    found = verdicts.recall(digest, wasmkit.ALL_FEATURES)
    assert found is not None and found.tail_calls is False and found.body_spans is not None
    assert list(found.body_spans) == binary_reader.body_spans_of(wasmkit.read_module(data).funcs)
    monkeypatch.setattr(wasmkit.runtime.verdicts, "_checker_digest", lambda: b"another validator")
    assert verdicts.recall(digest, wasmkit.ALL_FEATURES) is None
