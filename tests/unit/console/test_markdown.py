"""Episode content renders inert whatever the generator wrote (entrypoints/console/markdown.py)."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from manyfutures.entrypoints.console.markdown import (
    LINK_REL,
    outbound_url,
    render_markdown,
    sanitize_html,
)

HOSTILE = (
    "<script>window.pwned = true</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)><circle/></svg>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<object data="https://evil.example/x.swf"></object>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<body onload="alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{background:red}</style>",
    '<math><a xlink:href="javascript:alert(1)">m</a></math>',
    "<<script>script>alert(1)<</script>/script>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![pic](data:image/png;base64,iVBORw0KGgo=)",
    "![pic](javascript:alert(1))",
    '[click](https://ok.example "title" onclick="alert(1)")',
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
)
MARKDOWN_BITS = ("[", "](", ")", "<", ">", "\n\n", "# ", "| a | b |\n|---|---|\n", '"', "'", "=")
ALLOWED_SCHEMES = ("http:", "https:", "mailto:")


class _Tags(HTMLParser):
    """Every tag and attribute the browser would see, as the browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _assert_inert(html: str) -> None:
    assert "<script" not in html.lower()
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attributes in parser.tags:
        assert tag not in {
            "script", "iframe", "object", "embed", "svg", "math", "style", "form", "img",
        }  # fmt: skip
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src"}:
                assert value is not None
                scheme = "".join(value.split()).lower()
                assert scheme.startswith(ALLOWED_SCHEMES), (tag, name, value)
            if name == "style":
                assert value is not None
                assert value.replace(" ", "").startswith("text-align:"), value
        if tag == "a":
            assert ("rel", LINK_REL) in attributes


def test_hostile_content_renders_inert() -> None:
    for fragment in HOSTILE:
        _assert_inert(render_markdown(fragment))
        _assert_inert(sanitize_html(fragment))


def test_script_in_the_text_is_shown_as_text_and_never_run() -> None:
    html = render_markdown("Before <script>window.pwned = true</script> after")
    assert html == "<p>Before &lt;script&gt;window.pwned = true&lt;/script&gt; after</p>\n"


def test_unsafe_links_lose_their_target_and_keep_their_text() -> None:
    html = sanitize_html('<a href="javascript:alert(1)" onclick="alert(2)">click</a>')
    assert html == f'<a rel="{LINK_REL}">click</a>'


def test_links_out_are_kept_with_rel_noopener_noreferrer_nofollow() -> None:
    html = render_markdown("[the source](https://example.org/report)")
    assert html == (
        f'<p><a href="https://example.org/report" rel="{LINK_REL}">the source</a></p>\n'
    )


def test_relative_links_into_the_console_are_dropped() -> None:
    assert "href" not in render_markdown("[sign out](/sign-out) [up](../admin)")


def test_markdown_renders_headings_lists_tables_and_emphasis() -> None:
    html = render_markdown(
        "# Title\n\n- **one**\n- *two* ~~three~~\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n"
    )
    assert "<h1>Title</h1>" in html
    assert "<li><strong>one</strong></li>" in html
    assert "<em>two</em> <s>three</s>" in html
    assert '<td style="text-align:right">2</td>' in html


def test_an_image_becomes_a_link_to_it_and_loads_nothing() -> None:
    html = render_markdown(
        "![the *chart*](https://example.org/c.png) ![x](data:image/png;base64,A=)"
    )
    assert html == (
        f'<p><a href="https://example.org/c.png" rel="{LINK_REL}">the chart</a>'
        f' <a rel="{LINK_REL}">x</a></p>\n'
    )


content = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.sampled_from(MARKDOWN_BITS), st.text(max_size=20)),
    max_size=12,
).map("".join)


@given(content)
def test_no_rendered_episode_ever_carries_a_script_a_handler_or_an_unsafe_url(text: str) -> None:
    _assert_inert(render_markdown(text))


@given(content)
def test_the_sanitizer_alone_makes_any_html_inert(html: str) -> None:
    _assert_inert(sanitize_html(html))


def test_only_http_sources_become_links() -> None:
    assert outbound_url("https://iea.example/report") == "https://iea.example/report"
    assert outbound_url(" http://a.example ") == "http://a.example"
    refused = ("javascript:alert(1)", "JAVASCRIPT:alert(1)", " data:text/html,x", "/relative")
    refused += ("vbscript:x", "//evil.example", "https:\\\\evil.example", "", "mailto:a@b")
    for url in refused:
        assert outbound_url(url) is None, url
