"""Reading time on an episode card: 200 words a minute, markdown noise not counted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.episodes.reading_time import count_words, reading_minutes

plain_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1)
word_lists = st.lists(plain_words, max_size=1_000)
urls = st.builds(
    "https://{}.example.com/{}?q={}#{}".format,
    plain_words,
    plain_words,
    plain_words,
    plain_words,
)


def minutes_for(words: int) -> int:
    whole, part = divmod(words, 200)
    return max(1, whole + (1 if part else 0))


@settings(max_examples=300)
@given(st.text())
def test_at_least_one_minute(text: str) -> None:
    assert reading_minutes(text) >= 1


@settings(max_examples=200)
@given(word_lists)
def test_plain_words_take_a_minute_per_two_hundred(words: list[str]) -> None:
    text = " ".join(words)
    assert count_words(text) == len(words)
    assert reading_minutes(text) == minutes_for(len(words))


@st.composite
def decorated_documents(draw: st.DrawFn) -> tuple[str, int]:
    """A markdown document and how many words a reader actually reads in it."""
    parts: list[str] = []
    readable = 0
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(
            st.sampled_from(
                [
                    *["word", "emphasis", "heading", "quote", "bullet", "link", "image"],
                    *["url", "rule", "fence", "table", "code"],
                ]
            )
        )
        word = draw(plain_words)
        if kind == "word":
            parts.append(word)
            readable += 1
        elif kind == "emphasis":
            marker = draw(st.sampled_from(["*", "**", "_", "__", "~~"]))
            parts.append(f"{marker}{word}{marker}")
            readable += 1
        elif kind == "code":
            parts.append(f"`{word}`")
            readable += 1
        elif kind in {"heading", "quote", "bullet"}:
            prefix = {"heading": "#" * draw(st.integers(1, 6)), "quote": ">", "bullet": "-"}[kind]
            parts.append(f"\n{prefix} {word}\n")
            readable += 1
        elif kind == "link":
            label = draw(st.lists(plain_words, min_size=1, max_size=4))
            parts.append(f"[{' '.join(label)}]({draw(urls)})")
            readable += len(label)
        elif kind == "image":
            alt = draw(st.lists(plain_words, max_size=4))
            parts.append(f"![{' '.join(alt)}]({draw(urls)})")
        elif kind == "url":
            url = draw(urls)
            parts.append(draw(st.sampled_from([url, f"<{url}>", f"({url})"])))
        elif kind == "rule":
            parts.append(f"\n{draw(st.sampled_from(['---', '***', '___', '- - -']))}\n")
        elif kind == "fence":
            parts.append(f"\n```{word}\n")
        else:
            parts.append(f"\n| {word} | --- |\n")
            readable += 1
    return " ".join(parts), readable


@settings(max_examples=300)
@given(decorated_documents())
def test_markdown_syntax_urls_and_images_are_not_words(document: tuple[str, int]) -> None:
    text, readable = document
    assert count_words(text) == readable


@settings(max_examples=300)
@given(st.text(), word_lists)
def test_appending_words_never_shortens_the_reading_time(text: str, words: list[str]) -> None:
    longer = text + "\n" + " ".join(words)
    assert count_words(longer) == count_words(text) + len(words)
    assert reading_minutes(longer) >= reading_minutes(text)


def test_examples() -> None:
    assert reading_minutes("") == 1
    assert reading_minutes(" ".join(["word"] * 200)) == 1
    assert reading_minutes(" ".join(["word"] * 201)) == 2
    assert reading_minutes(" ".join(["word"] * 1000)) == 5
    assert count_words("don't stop it\u2019s fine") == 4
    assert count_words("# Title\n\n**Bold** and _soft_ [a link](https://x.example/path)") == 6
    assert count_words("![diagram of the grid](https://x.example/grid.png) after") == 1
    assert count_words("```python\n```") == 0
    assert count_words("see https://x.example/a-long/path?x=1 and <http://y.example/b>") == 2
