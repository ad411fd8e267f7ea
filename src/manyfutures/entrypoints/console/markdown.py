"""Episode content, markdown written by the generator, turned into HTML a browser may run.

The content comes from a language model that read the open web, so it is untrusted:
it may carry ``<script>``, ``javascript:`` links, event-handler attributes or worse,
put there by a page the model quoted. Two guards, each enough on its own:

- markdown-it-py parses with raw HTML off, so HTML in the text is shown as text, and
  its link check already refuses ``javascript:``, ``vbscript:`` and ``data:`` URLs;
- nh3 (the Ammonia sanitizer) then keeps only the tags and attributes markdown
  produces, links on http(s) or mailto only, no relative URLs (an episode links out to
  its sources, never into the console), and gives every link
  ``rel="noopener noreferrer nofollow"``.

An image becomes a link to it, named by its alt text: the page loads nothing from the
writer's sources (which would tell them who reads what), and the console's
Content-Security-Policy allows images from the console only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.token import Token
from markupsafe import Markup, escape

# What markdown (CommonMark, plus tables and strikethrough) renders, and nothing else.
_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "pre", "code",
    "em", "strong", "s", "a", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    # A table column's alignment; nh3 keeps no style property but text-align.
    "th": {"style"},
    "td": {"style"},
}
LINK_REL = "noopener noreferrer nofollow"


def _image_as_link(
    renderer: RendererProtocol,
    tokens: Sequence[Token],
    index: int,
    options: Any,
    env: Any,
) -> str:
    image = tokens[index]
    source = str(image.attrGet("src") or "")
    label = "".join(child.content for child in image.children or ()) or source
    return f'<a href="{escape(source)}">{escape(label)}</a>'


_parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_parser.add_render_rule("image", _image_as_link)
_cleaner = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel=LINK_REL,
    filter_style_properties={"text-align"},
)


def sanitize_html(html: str) -> Markup:
    """Any HTML, reduced to what the allowlist above keeps: safe to put in a page as is."""
    return Markup(_cleaner.clean(html))


def render_markdown(text: str) -> Markup:
    """An episode's markdown as sanitized HTML, ready for a template (no ``|safe`` needed)."""
    return sanitize_html(_parser.render(text))


def outbound_url(url: str) -> str | None:
    """A source's URL if a reader may follow it (http or https), else None: sources come
    from the generator too, and a ``javascript:`` href runs when clicked."""
    scheme, separator, _ = url.strip().partition(":")
    if separator and scheme.lower() in ("http", "https") and "\\" not in url:
        return url.strip()
    return None
