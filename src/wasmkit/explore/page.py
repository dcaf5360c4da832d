"""The explore page as one self-contained HTML file: the template (`page.html`), its style
(`page.css`) and script (`page.js`) inlined, and the page data as JSON in a
`<script type="application/json">` element, which the script reads and renders lazily. Nothing
is loaded from elsewhere, so the page works offline and from a file."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

__all__ = ["embed_json", "render_page"]


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def embed_json(value: Any) -> str:
    """`value` as JSON that can sit inside a <script> element: every `<` escaped, so that no
    `</script>` or `<!--` in a name or a string of the module can end or change the element."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def render_page(title: str, page_data: dict[str, Any]) -> str:
    """The HTML of the page showing `page_data` (see `explore.explore_data`) under `title`."""
    text = _asset("page.html")
    text = text.replace("$TITLE", html.escape(title)).replace("$STYLE", _asset("page.css")).replace("$SCRIPT", _asset("page.js"))
    before, _, after = text.partition("$DATA")  # last: the data may hold any of the other markers
    return before + embed_json(page_data) + after
