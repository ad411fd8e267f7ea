"""Reading time shown on an episode card."""

from __future__ import annotations

import math
import re

WORDS_PER_MINUTE = 200
_CODE_FENCE = re.compile(r"^(```|~~~).*$", re.MULTILINE)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Bare and <autolinked> URLs: a reader skims them, they are not five or six words.
_URL = re.compile(r"<?\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>]*>?")
_MARKUP = re.compile(r"[#>*_`~|\-]+")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)


def count_words(markdown: str) -> int:
    """Words a reader reads: link text yes, URLs and markup symbols no."""
    text = _CODE_FENCE.sub(" ", markdown)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return len(_WORD.findall(text))


def reading_minutes(markdown: str) -> int:
    return max(1, math.ceil(count_words(markdown) / WORDS_PER_MINUTE))
