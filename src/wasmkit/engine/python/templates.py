"""How each pure numeric instruction reads as a Python expression.

A template is a format string over the operands `{0}`, `{1}`, ... and a kind:

- PURE: cannot trap and has no effect, so it may be evaluated later than written, or not at all;
- TRAPS: may trap (a helper raises `Trap`), so it is evaluated exactly once, in order.

Every template uses each operand exactly once, left to right, unconditionally; that is what
lets operands be arbitrary expressions. Names are those the engine binds in the namespace of
the generated code (see `_base_namespace` in `engine`). The modular operations (integer add,
sub, mul, shl, rotations and i32.wrap_i64) are not here: `compiler.wrapping` writes them, so as
to leave out masks that a wrapping operand makes redundant; nor are the signed comparisons,
which `compiler.signed_compare` writes according to their operands.
"""

from __future__ import annotations

from ...bits import MASK32, MASK64

__all__ = ["TEMPLATES", "PURE", "TRAPS", "MASK32_TEXT", "MASK64_TEXT", "sign_extended", "signed_value"]

PURE, TRAPS = 2, 3

# The masks as generated code writes them.
MASK32_TEXT, MASK64_TEXT = f"0x{MASK32:X}", f"0x{MASK64:X}"


def sign_extended(value: str, width: int, bits: int) -> str:
    """`value`, a `width`-bit unsigned int (evaluated once), sign-extended to `bits` bits:
    itself when its sign bit is clear, else with the bits above it set. A test and, for a
    negative value, one addition: cheaper in CPython than flipping the sign bit, subtracting
    it and masking, which works on large ints either way."""
    sign = 1 << (width - 1)
    high = (1 << bits) - (1 << width)
    return f"(_x if (_x := {value}) < {sign:#x} else _x + {high:#x})"


def signed_value(value: str, bits: int) -> str:
    """The signed value of `value`, a `bits`-wide unsigned int (evaluated once, through `_c`
    unless it is a plain name): itself when its sign bit is clear, else less 2^bits."""
    sign, full = f"{1 << (bits - 1):#x}", f"{1 << bits:#x}"
    if value.isidentifier():
        return f"({value} if {value} < {sign} else {value} - {full})"
    return f"(_c if (_c := {value}) < {sign} else _c - {full})"


def _int_ops(bits: int, mask: str) -> dict[str, tuple[str, int]]:
    t = f"i{bits}"
    shift = bits - 1
    return {
        f"{t}.eqz": ("({0} == 0)", PURE),
        f"{t}.eq": ("({0} == {1})", PURE),
        f"{t}.ne": ("({0} != {1})", PURE),
        f"{t}.lt_u": ("({0} < {1})", PURE),
        f"{t}.gt_u": ("({0} > {1})", PURE),
        f"{t}.le_u": ("({0} <= {1})", PURE),
        f"{t}.ge_u": ("({0} >= {1})", PURE),
        f"{t}.clz": (f"({bits} - ({{0}}).bit_length())", PURE),
        f"{t}.ctz": (f"ctz{bits}({{0}})", PURE),
        f"{t}.popcnt": ("({0}).bit_count()", PURE),
        f"{t}.div_s": (f"div_s{bits}({{0}}, {{1}})", TRAPS),
        f"{t}.div_u": (f"div_u{bits}({{0}}, {{1}})", TRAPS),
        f"{t}.rem_s": (f"rem_s{bits}({{0}}, {{1}})", TRAPS),
        f"{t}.rem_u": (f"rem_u{bits}({{0}}, {{1}})", TRAPS),
        f"{t}.and": ("({0} & {1})", PURE),
        f"{t}.or": ("({0} | {1})", PURE),
        f"{t}.xor": ("({0} ^ {1})", PURE),
        f"{t}.shr_s": (f"(({signed_value('{0}', bits)} >> ({{1}} & {shift})) & {mask})", PURE),
        f"{t}.shr_u": (f"({{0}} >> ({{1}} & {shift}))", PURE),
        f"{t}.extend8_s": (sign_extended("({0} & 0xFF)", 8, bits), PURE),
        f"{t}.extend16_s": (sign_extended("({0} & 0xFFFF)", 16, bits), PURE),
    }


def _float_ops(bits: int) -> dict[str, tuple[str, int]]:
    t = f"f{bits}"
    # f32 results are rounded to single precision; f64 arithmetic is Python's own.
    r = "rf32" if bits == 32 else ""
    return {
        f"{t}.eq": ("({0} == {1})", PURE),
        f"{t}.ne": ("({0} != {1})", PURE),
        f"{t}.lt": ("({0} < {1})", PURE),
        f"{t}.gt": ("({0} > {1})", PURE),
        f"{t}.le": ("({0} <= {1})", PURE),
        f"{t}.ge": ("({0} >= {1})", PURE),
        f"{t}.abs": ("abs({0})", PURE),
        f"{t}.neg": ("(-{0})", PURE),
        f"{t}.ceil": ("fceil({0})", PURE),
        f"{t}.floor": ("ffloor({0})", PURE),
        f"{t}.trunc": ("ftrunc({0})", PURE),
        f"{t}.nearest": ("fnearest({0})", PURE),
        f"{t}.sqrt": (f"{r}(fsqrt({{0}}))", PURE),
        f"{t}.sub": (f"{r}({{0}} - {{1}})", PURE),
        f"{t}.div": (f"{r}(fdiv({{0}}, {{1}}))", PURE),
        f"{t}.min": ("fmin({0}, {1})", PURE),
        f"{t}.max": ("fmax({0}, {1})", PURE),
        f"{t}.copysign": ("copysign({0}, {1})", PURE),
    }


TEMPLATES: dict[str, tuple[str, int]] = {
    **_int_ops(32, MASK32_TEXT),
    **_int_ops(64, MASK64_TEXT),
    **_float_ops(32),
    **_float_ops(64),
    "i64.extend32_s": (sign_extended(f"({{0}} & {MASK32_TEXT})", 32, 64), PURE),
    "i64.extend_i32_s": (sign_extended("{0}", 32, 64), PURE),
    "i64.extend_i32_u": ("{0}", PURE),
    "i32.trunc_f32_s": ("trunc_f_i32_s({0})", TRAPS),
    "i32.trunc_f32_u": ("trunc_f_i32_u({0})", TRAPS),
    "i32.trunc_f64_s": ("trunc_f_i32_s({0})", TRAPS),
    "i32.trunc_f64_u": ("trunc_f_i32_u({0})", TRAPS),
    "i64.trunc_f32_s": ("trunc_f_i64_s({0})", TRAPS),
    "i64.trunc_f32_u": ("trunc_f_i64_u({0})", TRAPS),
    "i64.trunc_f64_s": ("trunc_f_i64_s({0})", TRAPS),
    "i64.trunc_f64_u": ("trunc_f_i64_u({0})", TRAPS),
    "i32.trunc_sat_f32_s": ("trunc_sat_i32_s({0})", PURE),
    "i32.trunc_sat_f32_u": ("trunc_sat_i32_u({0})", PURE),
    "i32.trunc_sat_f64_s": ("trunc_sat_i32_s({0})", PURE),
    "i32.trunc_sat_f64_u": ("trunc_sat_i32_u({0})", PURE),
    "i64.trunc_sat_f32_s": ("trunc_sat_i64_s({0})", PURE),
    "i64.trunc_sat_f32_u": ("trunc_sat_i64_u({0})", PURE),
    "i64.trunc_sat_f64_s": ("trunc_sat_i64_s({0})", PURE),
    "i64.trunc_sat_f64_u": ("trunc_sat_i64_u({0})", PURE),
    "f32.convert_i32_s": (f"rf32(float({signed_value('{0}', 32)}))", PURE),
    "f32.convert_i32_u": ("rf32(float({0}))", PURE),
    "f32.convert_i64_s": (f"f32_from_int({signed_value('{0}', 64)})", PURE),
    "f32.convert_i64_u": ("f32_from_int({0})", PURE),
    "f64.convert_i32_s": (f"float({signed_value('{0}', 32)})", PURE),
    "f64.convert_i32_u": ("float({0})", PURE),
    "f64.convert_i64_s": (f"float({signed_value('{0}', 64)})", PURE),
    "f64.convert_i64_u": ("float({0})", PURE),
    "f32.demote_f64": ("rf32({0})", PURE),
    "f64.promote_f32": ("promote({0})", PURE),
    "i32.reinterpret_f32": ("f32_to_bits({0})", PURE),
    "i64.reinterpret_f64": ("f64_to_bits({0})", PURE),
    "f32.reinterpret_i32": ("f32_from_bits({0})", PURE),
    "f64.reinterpret_i64": ("f64_from_bits({0})", PURE),
    "ref.is_null": ("({0} is None)", PURE),
}
