"""The Python values of component types: a dataclass per record, a class per variant case,
enum.Enum and enum.Flag, None or the value for options (Some where ambiguous), Ok and Err
for results (and the ok value or a raised Err for a function's result), bytes for list<u8>,
dict for maps; classes made once per type; names in Python style; and the TypeError or
ValueError for a Python value that does not fit its type."""

from __future__ import annotations

import dataclasses
import enum
import gc
import weakref

import pytest

from tests.component.abi_support import Guest, val
from wasmkit.component.abi import classes
from wasmkit.component.abi import CanonicalAbi, Err, FlatReader, Ok, Some, VariantCase, pascal_case, snake_case, upper_case
from wasmkit.component.syntax import Prim
from wasmkit.component.types import Func

POINT = val("record", (("x", Prim.S32), ("y-pos", Prim.S32), ("from", Prim.STRING)))
SHAPE = val("variant", (("circle", Prim.F64), ("none", None), ("http-error", Prim.U16)))
COLOR = val("enum", ("red", "hot-pink"))
PERMS = val("flags", ("read", "write", "exec-all"))


def _round(vt: object, value: object, abi: CanonicalAbi | None = None) -> object:
    codec = (abi or CanonicalAbi()).codec(vt)  # type: ignore[arg-type]
    cx = Guest().context()
    flat: list[object] = []
    codec.lower_flat(cx, value, flat)
    return codec.lift_flat(cx, FlatReader(flat))


def test_names() -> None:
    assert [snake_case(x) for x in ("first-name", "from", "HTTP-get", "self")] == ["first_name", "from_", "http_get", "self"]
    assert [pascal_case(x) for x in ("http-error", "none", "true", "HTTP-get")] == ["HttpError", "None_", "True_", "HTTPGet"]
    assert upper_case("read-write") == "READ_WRITE"


def test_record_is_a_frozen_dataclass_with_snake_case_fields() -> None:
    cls = CanonicalAbi({POINT: "point"}).codec(POINT).cls  # type: ignore[attr-defined]
    assert cls.__name__ == "Point" and dataclasses.is_dataclass(cls)
    p = cls(1, 2, "a")
    assert (p.x, p.y_pos, p.from_) == (1, 2, "a") and p == cls(x=1, y_pos=2, from_="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3
    assert _round(POINT, p, CanonicalAbi({POINT: "point"})) == p


def test_record_lowering_takes_objects_and_mappings() -> None:
    abi = CanonicalAbi()
    cls = abi.codec(POINT).cls  # type: ignore[attr-defined]

    @dataclasses.dataclass
    class Mine:
        x: int
        y_pos: int
        from_: str

    assert _round(POINT, Mine(1, 2, "z"), abi) == cls(1, 2, "z")
    assert _round(POINT, {"x": 1, "y-pos": 2, "from": "z"}, abi) == cls(1, 2, "z")
    assert _round(POINT, {"x": 1, "y_pos": 2, "from_": "z"}, abi) == cls(1, 2, "z")
    with pytest.raises(TypeError, match="has no field 'from_'"):
        _round(POINT, {"x": 1, "y_pos": 2}, abi)
    with pytest.raises(TypeError, match="expected a value of record, got int"):
        _round(POINT, 5, abi)


def test_classes_are_made_once_per_type_and_name() -> None:
    a = CanonicalAbi({POINT: "point"}).codec(POINT).cls  # type: ignore[attr-defined]
    same = val("record", (("x", Prim.S32), ("y-pos", Prim.S32), ("from", Prim.STRING)))
    assert CanonicalAbi({same: "point"}).codec(same).cls is a  # type: ignore[attr-defined]
    assert CanonicalAbi({POINT: "other"}).codec(POINT).cls is not a  # type: ignore[attr-defined]


def test_unused_classes_are_forgotten_once_others_were_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classes, "KEEP", 2)
    fresh = val("record", (("only-here", Prim.U8),))
    ref = weakref.ref(CanonicalAbi().codec(fresh).cls)  # type: ignore[attr-defined]
    gc.collect()
    assert ref() is not None  # held: one of the last KEEP asked for (an instance per request asks again)
    for n in range(2):
        CanonicalAbi().codec(val("record", ((f"other-{n}", Prim.U8),)))
    gc.collect()
    assert ref() is None


def test_variant_cases_are_classes_of_the_variant() -> None:
    cls = CanonicalAbi({SHAPE: "shape"}).codec(SHAPE).cls  # type: ignore[attr-defined]
    circle = cls.Circle(1.5)
    assert isinstance(circle, cls) and isinstance(circle, VariantCase)
    assert circle.value == 1.5 and circle == cls.Circle(value=1.5) and circle != cls.HttpError(1)
    assert cls.None_() == cls.None_() and repr(cls.None_()) == "Shape.None_()"
    assert cls.HttpError.wit_case == "http-error" and cls.cases == (cls.Circle, cls.None_, cls.HttpError)
    abi = CanonicalAbi({SHAPE: "shape"})
    for value in (circle, cls.None_(), cls.HttpError(404)):
        assert _round(SHAPE, value, abi) == value


def test_variant_lowering_takes_a_class_that_names_its_case() -> None:
    class Mine:
        wit_case = "http-error"

        def __init__(self, value: int) -> None:
            self.value = value

    abi = CanonicalAbi()
    assert _round(SHAPE, Mine(500), abi) == abi.codec(SHAPE).cls.HttpError(500)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="expected a value of variant, got str"):
        _round(SHAPE, "circle", abi)


def test_enum_is_an_enum_valued_by_label() -> None:
    abi = CanonicalAbi({COLOR: "color"})
    cls = abi.codec(COLOR).cls  # type: ignore[attr-defined]
    assert issubclass(cls, enum.Enum) and cls.__name__ == "Color"
    assert [m.name for m in cls] == ["RED", "HOT_PINK"] and cls("hot-pink") is cls.HOT_PINK
    assert _round(COLOR, cls.HOT_PINK, abi) is cls.HOT_PINK
    assert _round(COLOR, "red", abi) is cls.RED
    with pytest.raises(ValueError, match="'blue' is not a case of color"):
        _round(COLOR, "blue", abi)
    with pytest.raises(TypeError):
        _round(COLOR, 1, abi)


def test_flags_are_a_flag() -> None:
    abi = CanonicalAbi({PERMS: "perms"})
    cls = abi.codec(PERMS).cls  # type: ignore[attr-defined]
    assert issubclass(cls, enum.Flag)
    both = cls.READ | cls.EXEC_ALL
    assert _round(PERMS, both, abi) == both and _round(PERMS, cls(0), abi) == cls(0)
    assert _round(PERMS, {"write", "exec-all"}, abi) == cls.WRITE | cls.EXEC_ALL
    with pytest.raises(ValueError, match="'nope' is not a flag"):
        _round(PERMS, ["nope"], abi)

    class Mine(enum.Flag):
        WRITE = 4
        EXEC_ALL = 1
        OTHER = 2

    assert _round(PERMS, Mine.WRITE | Mine.EXEC_ALL, abi) == cls.WRITE | cls.EXEC_ALL
    with pytest.raises(ValueError, match="'OTHER' is not a flag"):
        _round(PERMS, Mine.OTHER, abi)


def test_options() -> None:
    opt = val("option", (Prim.U8,))
    assert _round(opt, None) is None and _round(opt, 5) == 5 and _round(opt, Some(5)) == 5
    nested = val("option", (opt,))
    assert _round(nested, None) is None
    assert _round(nested, Some(None)) == Some(None)
    assert _round(nested, Some(3)) == Some(3) and _round(nested, 3) == Some(3)


def test_results_inside_values_are_ok_and_err() -> None:
    res = val("result", (Prim.STRING, Prim.U32))
    assert _round(res, Ok("yes")) == Ok("yes") and _round(res, Err(7)) == Err(7)
    assert _round(val("list", (res,)), [Ok("a"), Err(1)]) == [Ok("a"), Err(1)]
    empty = val("result", (None, None))
    assert _round(empty, Ok()) == Ok(None) and _round(empty, Err()) == Err(None)
    with pytest.raises(TypeError, match="expected Ok"):
        _round(res, "yes")


def test_a_function_result_is_its_ok_value_or_a_raised_err() -> None:
    calls = CanonicalAbi().function(Func((), val("result", (Prim.STRING, Prim.U32))))
    assert calls.to_python(Ok("fine")) == "fine"
    with pytest.raises(Err) as caught:
        calls.to_python(Err(404))
    assert caught.value.value == 404 and str(caught.value) == "404"
    assert calls.from_python(lambda: "fine") == Ok("fine")
    assert calls.from_python(lambda: Ok("x")) == Ok("x") and calls.from_python(lambda: Err(1)) == Err(1)

    def failing() -> object:
        raise Err(500)

    assert calls.from_python(failing) == Err(500)
    plain = CanonicalAbi().function(Func((), Prim.U32))
    assert plain.to_python(5) == 5 and plain.from_python(lambda: 5) == 5


def test_list_of_u8_is_bytes_and_maps_are_dicts() -> None:
    u8s = val("list", (Prim.U8,))
    assert _round(u8s, b"ab\x00") == b"ab\x00"
    assert _round(u8s, bytearray(b"x")) == b"x" and _round(u8s, memoryview(b"y")) == b"y" and _round(u8s, [1, 2]) == b"\x01\x02"
    with pytest.raises(ValueError, match="256 is out of range for u8"):
        _round(u8s, [256])
    assert _round(val("list", (Prim.S8,)), [-1, 2]) == [-1, 2]
    table = val("map", (Prim.STRING, Prim.U32))
    assert _round(table, {"a": 1, "b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(TypeError, match="expected a dict for map<string, u32>"):
        _round(table, [("a", 1)])


def test_tuples_and_lists() -> None:
    pair = val("tuple", (Prim.U8, Prim.STRING))
    assert _round(pair, (1, "a")) == (1, "a") and _round(pair, [1, "a"]) == (1, "a")
    with pytest.raises(ValueError, match="expected 2 values"):
        _round(pair, (1,))
    floats = val("list", (Prim.F32,))
    assert _round(floats, [1.5, 0.1, 2]) == [1.5, 0.10000000149011612, 2.0]
    assert _round(val("list", (Prim.U64,)), [1, 2**64 - 1]) == [1, 2**64 - 1]
    with pytest.raises(ValueError, match="out of range for u64"):
        _round(val("list", (Prim.U64,)), [2**64])
    with pytest.raises(TypeError, match="expected a list for list<u16>"):
        _round(val("list", (Prim.U16,)), "ab")


@pytest.mark.parametrize("vt, value, error, message", [
    (Prim.BOOL, 1, TypeError, "expected a value of bool, got int"),
    (Prim.U8, True, TypeError, "expected a value of u8, got bool"),
    (Prim.U8, -1, ValueError, "-1 is out of range for u8"),
    (Prim.S16, 1 << 15, ValueError, "32768 is out of range for s16"),
    (Prim.U32, "1", TypeError, "expected a value of u32, got str"),
    (Prim.F64, "1.0", TypeError, "expected a value of f64, got str"),
    (Prim.CHAR, "ab", TypeError, "expected a value of char, got str"),
    (Prim.CHAR, "\ud800", ValueError, "not the surrogate 0xd800"),
    (Prim.STRING, b"abc", TypeError, "expected a str for string, got bytes"),
    (Prim.STRING, "a\udc00", ValueError, "lone surrogate"),
])  # fmt: skip
def test_python_values_that_do_not_fit(vt: object, value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _round(vt, value)
    with pytest.raises(error, match=message):
        CanonicalAbi().codec(vt).store(Guest().context(), value, 128)  # type: ignore[arg-type]


def test_wrong_argument_count() -> None:
    calls = CanonicalAbi().function(Func((("a", Prim.U8),), None))
    with pytest.raises(TypeError, match="takes 1 argument"):
        calls.lower_args(Guest().context(), [])


def test_error_context_values_are_not_supported_yet() -> None:
    """Streams and futures are handles (one i32, see test_async_run); error-context is not run yet."""
    stream = CanonicalAbi().codec(val("stream", (Prim.U8,)))
    assert (stream.size, stream.align, stream.name) == (4, 4, "stream<u8>")
    with pytest.raises(NotImplementedError, match="error-context values"):
        CanonicalAbi().codec(Prim.ERROR_CONTEXT)
