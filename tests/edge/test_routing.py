"""Routes: WAGI's exact and /... forms, :name parameters, and which route wins."""

from __future__ import annotations

import pytest

from wasmkit.edge.routing import RoutePattern, Router, RouteSyntaxError


def router(*routes: str) -> Router[str]:
    return Router([(RoutePattern.parse(route), route) for route in routes])


def winner(routes: Router[str], path: str) -> str | None:
    found = routes.find(path)
    return None if found is None else found[1]


def test_exact_and_wildcard() -> None:
    routes = router("/hello", "/static/...")
    assert winner(routes, "/hello") == "/hello"
    assert winner(routes, "/hello/") is None
    assert winner(routes, "/hello/x") is None
    assert winner(routes, "/static") == "/static/..."
    assert winner(routes, "/static/css/site.css") == "/static/..."
    assert winner(routes, "/other") is None


def test_script_name_and_path_info() -> None:
    _, _, match = router("/static/...").find("/static/a%2Fb/c%20d")  # type: ignore[misc]
    assert match.script_name == "/static"
    assert match.path_info == "/a/b/c d"
    assert match.raw_path_info == "/a%2Fb/c%20d"
    _, _, trailing = router("/static/...").find("/static/")  # type: ignore[misc]
    assert trailing.path_info == "/"


def test_parameters() -> None:
    _, _, match = router("/users/:id/posts/:post").find("/users/42/posts/a%20b")  # type: ignore[misc]
    assert match.params == {"id": "42", "post": "a b"}
    assert match.script_name == "/users/42/posts/a b"
    assert winner(router("/users/:id"), "/users/") is None


def test_the_most_specific_route_wins() -> None:
    routes = router("/...", "/users/:id", "/users/me", "/users/...")
    assert winner(routes, "/users/me") == "/users/me"
    assert winner(routes, "/users/7") == "/users/:id"
    assert winner(routes, "/users/7/x") == "/users/..."
    assert winner(routes, "/elsewhere") == "/..."
    assert winner(router("/a/...", "/a"), "/a") == "/a"


def test_ties_keep_the_order_written() -> None:
    assert winner(router("/:a", "/:b"), "/x") == "/:a"
    assert winner(router("/:b", "/:a"), "/x") == "/:b"


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("hello", "must begin with /"),
        ("/a//b", "empty segment"),
        ("/.../a", "may only end a route"),
        ("/:1x", "not a parameter name"),
        ("/:id/:id", "names parameter ':id' twice"),
    ],
)
def test_bad_routes(route: str, message: str) -> None:
    with pytest.raises(RouteSyntaxError, match=message):
        RoutePattern.parse(route)
