"""WIT tokens to a syntax tree (design/mvp/WIT.md's grammar; wit-parser's `ast.rs`): a file's
`package` header, its interfaces, worlds and top-level `use`s, and `package x { ... }` blocks.
Errors are WitErrors at the offending token: "expected X, found Y"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, Union

from ...errors import WitError
from ..syntax import Prim
from . import ast
from .lexer import Source, Token, tokenize, validate_id

__all__ = ["parse_file"]

_PRIMS = {p.text: p for p in Prim}
_KEYWORDS = frozenset(
    "use type func u8 u16 u32 u64 s8 s16 s32 s64 f32 f64 char resource record flags variant enum bool "
    "string option result future stream list own borrow _ as from static interface tuple world import "
    "export package with include constructor error-context async map".split()
)
_MAX_DEPTH = 100  # of nested types and packages, as wit-parser
_T = TypeVar("_T")


def parse_file(source: Source) -> ast.PackageFile:
    """The syntax tree of one WIT file."""
    return _Parser(source).file()


def _quote(text: str) -> str:
    """A token expected, as wit-parser's messages name it."""
    if text in _KEYWORDS:
        return f"keyword `{text}`"
    return f"`{text}`" if text in ("->", "*", "@", "/", "+", "-") else f"'{text}'"


def _describe(token: Token | None) -> str:
    if token is None:
        return "eof"
    if token.kind == "id":
        return f"keyword `{token.text}`" if token.text in _KEYWORDS else "an identifier"
    if token.kind == "explicit":
        return "an '%' identifier"
    return {"version": "an integer", "int": "an integer", "string": "a string literal"}.get(token.kind, _quote(token.text))


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0

    # -- tokens --

    def peek(self, ahead: int = 0) -> Token | None:
        """The next token that is not a comment (`ahead` more further on)."""
        pos = self.pos
        while pos < len(self.tokens):
            if self.tokens[pos].kind != "comment":
                if not ahead:
                    return self.tokens[pos]
                ahead -= 1
            pos += 1
        return None

    def next(self) -> Token | None:
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind == "comment":
            self.pos += 1
        if self.pos == len(self.tokens):
            return None
        self.pos += 1
        return self.tokens[self.pos - 1]

    def at_end_offset(self) -> int:
        return len(self.source.text)

    def error(self, message: str, token: Token | None) -> Exception:
        return self.source.error(message, token.start if token else self.at_end_offset())

    def is_(self, text: str, ahead: int = 0) -> bool:
        """Whether the next token is the keyword or punctuation `text`."""
        token = self.peek(ahead)
        return token is not None and token.kind in ("id", text) and token.text == text

    def eat(self, text: str) -> bool:
        if self.is_(text):
            self.next()
            return True
        return False

    def expect(self, text: str) -> Token:
        token = self.next()
        if token is None or token.kind not in ("id", text) or token.text != text:
            raise self.error(f"expected {_quote(text)}, found {_describe(token)}", token)
        return token

    def docs(self) -> list[str]:
        """The comments before the next token (WIT makes them the next item's docs)."""
        found = []
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind == "comment":
            found.append(self.tokens[self.pos].text)
            self.pos += 1
        return found

    def id(self) -> ast.Id:
        token = self.next()
        if token is not None and token.kind == "explicit":
            return ast.Id(validate_id(self.source, token), token.start, self.source)
        if token is None or token.kind != "id" or token.text in _KEYWORDS:
            raise self.error(f"expected an identifier or string, found {_describe(token)}", token)
        return ast.Id(validate_id(self.source, token), token.start, self.source)

    def version(self) -> str:
        token = self.next()
        if token is None or token.kind != "version":
            raise self.error(f"expected a version, found {_describe(token)}", token)
        core, _, pre = token.text.split("+")[0].partition("-")
        for part, which in zip(core.split("."), ("major", "minor", "patch")):
            if len(part) > 1 and part.startswith("0"):
                raise self.error(f"invalid leading zero in {which} version number", token)
        if any(len(part) > 1 and part.isdigit() and part.startswith("0") for part in pre.split(".")):
            raise self.error("invalid leading zero in pre-release identifier", token)
        return token.text

    def optional_version(self) -> str | None:
        return self.version() if self.eat("@") else None

    def semicolon(self) -> None:
        token = self.next()
        if token is None or token.kind != ";":
            raise self.error(f"expected ';', found {_describe(token)}", token)

    def list_of(self, close: str, item: Callable[[list[str]], _T]) -> list[_T]:
        """Items separated by commas (one after the last allowed) up to `close`; `item`
        reads one, given the comments before it."""
        found: list[_T] = []
        while True:
            docs = self.docs()
            if self.eat(close):
                return found
            found.append(item(docs))
            if not self.eat(","):
                self.expect(close)
                return found

    # -- files and packages --

    def file(self) -> ast.PackageFile:
        docs = self.docs()
        package = None
        if self.is_("package"):
            start = self.pos
            try:
                package = self.package_name(docs)
            except WitError:
                package = None
            if package is not None and self.is_(";"):
                self.semicolon()
                docs = self.docs()
            else:  # a `package x { ... }` block (or a fault that reading items will report)
                package, self.pos = None, start
        file = ast.PackageFile(self.source, package, [])
        self.items(file, docs, None, 0)
        return file

    def package_name(self, docs: list[str]) -> ast.PackageName:
        at = self.expect("package").start
        namespace = self.id()
        self.expect(":")
        name = self.id()
        return ast.PackageName(namespace.name, name.name, self.optional_version(), docs, namespace.at, self.source)

    def items(self, file: ast.PackageFile, docs: list[str], close: str | None, depth: int) -> None:
        while True:
            if close is not None and self.eat(close):
                return
            if close is None and self.peek() is None:
                return
            attrs = self.attributes()
            token = self.peek()
            if self.is_("package"):
                if attrs:
                    raise self.error("cannot place attributes on nested packages", token)
                if depth:
                    raise self.error("nested packages must be placed at the top-level", token)
                nested = ast.PackageFile(self.source, self.package_name(docs), [])
                self.expect("{")
                self.items(nested, self.docs(), "}", depth + 1)
                file.nested.append(nested)
            elif self.is_("interface"):
                self.next()
                name = self.id()
                file.items.append(ast.Interface(docs, attrs, name, self.interface_items(depth)))
            elif self.is_("world"):
                self.next()
                name = self.id()
                file.items.append(ast.World(docs, attrs, name, self.world_items(depth)))
            elif self.is_("use"):
                self.next()
                if attrs:
                    raise self.error("attributes not allowed on top-level use", token)
                path = self.use_path()
                alias = self.id() if self.eat("as") else None
                self.semicolon()
                file.items.append(ast.TopUse(path, alias))
            else:
                raise self.error(f"expected 'world', 'interface' or 'use', found {_describe(token)}", token)
            docs = self.docs()

    def attributes(self) -> list[ast.Attr]:
        attrs = []
        while self.is_("@"):
            self.next()
            token = self.peek()
            name = self.id()
            self.expect("(")
            if name.name in ("since", "deprecated"):
                self.keyword_arg("version")
                value = self.version()
            elif name.name == "unstable":
                self.keyword_arg("feature")
                value = self.id().name
            elif name.name == "external-id":
                string = self.next()
                if string is None or string.kind != "string":
                    raise self.error(f"expected a string, found {_describe(string)}", string)
                value = string.text
            else:
                raise self.error(f"unknown attribute `{name.name}`", token)
            self.expect(")")
            attrs.append(ast.Attr(name.name, value, name.at))
        return attrs

    def keyword_arg(self, expected: str) -> None:
        token = self.peek()
        if token is None or token.kind != "id" or token.text != expected:
            raise self.error(f"expected `{expected}`, found {_describe(token)}", token)
        self.next()
        self.expect("=")

    def use_path(self) -> ast.UsePath:
        first = self.id()
        if not self.eat(":"):
            return ast.UsePath(None, first)
        package = self.id()
        self.expect("/")
        name = self.id()
        return ast.UsePath((first.name, package.name, self.optional_version()), name, first.at)

    def use(self, attrs: list[ast.Attr]) -> ast.Use:
        self.expect("use")
        path = self.use_path()
        self.expect(".")
        self.expect("{")

        def name(_docs: list[str]) -> tuple[ast.Id, ast.Id | None]:
            found = self.id()
            return found, (self.id() if self.eat("as") else None)

        names = self.list_of("}", name)
        self.semicolon()
        return ast.Use(attrs, path, names)

    # -- interfaces --

    def interface_items(self, depth: int) -> list[Union[ast.Use, ast.TypeDecl, ast.Func]]:
        self.expect("{")
        items: list[Union[ast.Use, ast.TypeDecl, ast.Func]] = []
        while True:
            docs = self.docs()
            if self.eat("}"):
                return items
            attrs = self.attributes()
            if self.is_("use"):
                items.append(self.use(attrs))
                continue
            declared = self.type_decl(docs, attrs, depth)
            if declared is not None:
                items.append(declared)
                continue
            name = self.id()
            self.expect(":")
            items.append(ast.Func(docs, attrs, name, self.signature(depth)))
            self.semicolon()

    def type_decl(self, docs: list[str], attrs: list[ast.Attr], depth: int) -> ast.TypeDecl | None:
        """A type declaration if one comes next (`type`, `record`, `variant`, `enum`, `flags`,
        `resource`), else None."""
        token = self.peek()
        if token is None or token.kind != "id" or token.text not in ("type", "record", "variant", "enum", "flags", "resource"):
            return None
        kind = token.text
        self.next()
        name = self.id()
        if kind == "type":
            self.expect("=")
            target = self.type(depth)
            self.semicolon()
            return ast.TypeDecl(docs, attrs, name, "alias", token.start, target=target)
        if kind == "resource":
            funcs: list[ast.ResourceFunc] = []
            if self.eat("{"):
                funcs = self.resource_funcs(depth)
            else:
                self.semicolon()
            return ast.TypeDecl(docs, attrs, name, kind, token.start, funcs=funcs)
        self.expect("{")
        if kind == "record":
            members = self.list_of("}", lambda d: ast.Member(d, self.id(), self.field_type(depth)))
        elif kind == "variant":
            members = self.list_of("}", lambda d: ast.Member(d, self.id(), self.case_type(depth)))
        else:
            members = self.list_of("}", lambda d: ast.Member(d, self.id()))
        if not members:
            raise self.source.error(f"empty {kind}", name.at)
        return ast.TypeDecl(docs, attrs, name, kind, token.start, members=members)

    def field_type(self, depth: int) -> ast.TypeExpr:
        self.expect(":")
        return self.type(depth)

    def case_type(self, depth: int) -> ast.TypeExpr | None:
        if not self.eat("("):
            return None
        found = self.type(depth)
        self.expect(")")
        return found

    def resource_funcs(self, depth: int) -> list[ast.ResourceFunc]:
        funcs: list[ast.ResourceFunc] = []
        while True:
            docs = self.docs()
            if self.eat("}"):
                return funcs
            attrs = self.attributes()
            token = self.peek()
            if self.is_("constructor"):
                self.next()
                name = ast.Id("constructor", token.start, self.source)  # type: ignore[union-attr]
                params = self.params(depth)
                result = self.type(depth) if self.eat("->") else None
                funcs.append(ast.ResourceFunc("constructor", ast.Func(docs, attrs, name, ast.Sig(False, params, result, name.at))))
            else:
                name = self.id()
                self.expect(":")
                kind = "static" if self.eat("static") else "method"
                funcs.append(ast.ResourceFunc(kind, ast.Func(docs, attrs, name, self.signature(depth))))
            self.semicolon()

    def signature(self, depth: int) -> ast.Sig:
        token = self.peek()
        is_async = self.eat("async")
        self.expect("func")
        params = self.params(depth)
        result = self.type(depth) if self.eat("->") else None
        return ast.Sig(is_async, params, result, token.start if token else 0)

    def params(self, depth: int) -> list[tuple[ast.Id, ast.TypeExpr]]:
        self.expect("(")

        def param(_docs: list[str]) -> tuple[ast.Id, ast.TypeExpr]:
            name = self.id()
            self.expect(":")
            return name, self.type(depth)

        return self.list_of(")", param)

    def type(self, depth: int) -> ast.TypeExpr:
        token = self.next()
        if depth >= _MAX_DEPTH:
            raise self.error("type nesting too deep", token)
        if token is None:
            raise self.error("expected a type, found eof", token)
        at = token.start
        if token.kind == "explicit":
            return ast.TypeExpr("name", (ast.Id(validate_id(self.source, token), at, self.source),), at)
        if token.kind != "id":
            raise self.error(f"expected a type, found {_describe(token)}", token)
        word = token.text
        if word in _PRIMS:
            return ast.TypeExpr("prim", (_PRIMS[word],), at)
        if word in ("list", "option"):
            self.expect("<")
            inner = self.type(depth + 1)
            if word == "list" and self.eat(","):
                size = self.next()
                if size is None or size.kind != "int" or int(size.text) == 0 or int(size.text) >= 2**32:
                    raise self.error(f"expected a length, found {_describe(size)}", size)
                self.expect(">")
                return ast.TypeExpr("fixed-length-list", (inner, int(size.text)), at)
            self.expect(">")
            return ast.TypeExpr(word, (inner,), at)
        if word in ("future", "stream"):
            if not self.eat("<"):
                return ast.TypeExpr(word, (None,), at)
            inner = self.type(depth + 1)
            self.expect(">")
            return ast.TypeExpr(word, (inner,), at)
        if word == "tuple":
            self.expect("<")
            types = tuple(self.list_of(">", lambda _d: self.type(depth + 1)))
            if not types:
                raise self.error("empty tuple", token)
            return ast.TypeExpr("tuple", types, at)
        if word == "map":
            self.expect("<")
            key = self.type(depth + 1)
            self.expect(",")
            value = self.type(depth + 1)
            self.expect(">")
            return ast.TypeExpr("map", (key, value), at)
        if word == "result":
            if not self.eat("<"):
                return ast.TypeExpr("result", (None, None), at)
            ok: ast.TypeExpr | None
            error: ast.TypeExpr | None
            if self.eat("_"):
                self.expect(",")
                ok, error = None, self.type(depth + 1)
            else:
                ok = self.type(depth + 1)
                error = self.type(depth + 1) if self.eat(",") else None
            self.expect(">")
            return ast.TypeExpr("result", (ok, error), at)
        if word in ("own", "borrow"):
            self.expect("<")
            resource = self.id()
            self.expect(">")
            return ast.TypeExpr(word, (resource,), at)
        if word in _KEYWORDS:
            raise self.error(f"expected a type, found {_describe(token)}", token)
        return ast.TypeExpr("name", (ast.Id(validate_id(self.source, token), at, self.source),), at)

    # -- worlds --

    def world_items(self, depth: int) -> list[Union[ast.Use, ast.TypeDecl, ast.Extern, ast.Include]]:
        self.expect("{")
        items: list[Union[ast.Use, ast.TypeDecl, ast.Extern, ast.Include]] = []
        while True:
            docs = self.docs()
            if self.eat("}"):
                return items
            attrs = self.attributes()
            token = self.peek()
            if self.is_("use"):
                items.append(self.use(attrs))
            elif self.is_("import") or self.is_("export"):
                self.next()
                items.append(self.extern(token.text, docs, attrs, depth))  # type: ignore[union-attr]
            elif self.is_("include"):
                self.next()
                items.append(self.include(attrs))
            else:
                declared = self.type_decl(docs, attrs, depth)
                if declared is None:
                    raise self.error(f"expected 'import', 'export', 'include', 'use' or a type, found {_describe(token)}", token)
                items.append(declared)

    def extern(self, direction: str, docs: list[str], attrs: list[ast.Attr], depth: int) -> ast.Extern:
        at = self.peek().start if self.peek() else self.at_end_offset()  # type: ignore[union-attr]
        if self.is_(":", 1):
            after = self.peek(2)
            if self.is_("func", 2) or self.is_("async", 2):
                name = self.id()
                self.next()
                sig = self.signature(depth)
                self.semicolon()
                return ast.Extern(direction, docs, attrs, "func", name=name, sig=sig, at=at)
            if self.is_("interface", 2):
                name = self.id()
                self.next()
                self.next()
                return ast.Extern(direction, docs, attrs, "interface", name=name, items=self.interface_items(depth), at=at)
            qualified = after is not None and after.kind in ("id", "explicit") and self.is_("/", 3)
            if not qualified:
                name = self.id()
                self.next()
                path = self.use_path()
                self.semicolon()
                return ast.Extern(direction, docs, attrs, "named", name=name, path=path, at=at)
        path = self.use_path()
        self.semicolon()
        return ast.Extern(direction, docs, attrs, "path", path=path, at=at)

    def include(self, attrs: list[ast.Attr]) -> ast.Include:
        path = self.use_path()
        names: list[tuple[ast.Id, ast.Id]] = []
        if self.eat("with"):
            self.expect("{")

            def rename(_docs: list[str]) -> tuple[ast.Id, ast.Id]:
                name = self.id()
                self.expect("as")
                return name, self.id()

            names = self.list_of("}", rename)
        else:
            self.semicolon()
        return ast.Include(attrs, path, names)
