"""Text from outside (names in the files, words in the URL, customers' comments) made safe to place in
the Markdown the dashboard renders: it shows as written, never as a link, an image, a tag or a format."""

from __future__ import annotations

import re

from cx.bidi import without_bidi_controls

WHITE_SPACE = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")  # a browser shows each run as one space
# Every ASCII punctuation character but a ":" before white space, which starts nothing (``:red[``,
# ``:smile:`` and ``https:`` all go on at once) and reads better unescaped.
MARKDOWN_SIGNS = re.compile(r"([!-/;-@\[-`{-~]|:(?!\s))")
# Streamlit finds bare URLs (``https://``, ``www.``), e-mail addresses, ``:emoji:`` codes, ``:streamlit:``
# and arrows such as ``->`` in the text after parsing, where backslash escapes are gone. An invisible
# word joiner (U+2060) keeps them apart: after a ``:`` or ``@`` that something follows, between ``www``
# and its dot, and inside ``->``, ``>=`` and the like.
FOUND_AFTER_PARSING = re.compile(r"(?<=[:@])(?=\S)|(?<=www)(?=\.)|(?<=[<>~=-])(?=[<>=-])", re.IGNORECASE)
WORD_JOINER = "\u2060"


def display_name(text: str) -> str:
    """``text`` without bidirectional controls (:mod:`cx.bidi`), so a name cannot make the rest of its
    line read backwards."""
    return without_bidi_controls(text)


def escape_markdown(text: object) -> str:
    r"""``text`` (made a string) for a place that renders Markdown, to show exactly as written.

    ASCII punctuation is backslash-escaped (:data:`MARKDOWN_SIGNS`), which CommonMark allows for every
    such character and which makes it a literal one (CommonMark 0.31.2, section 2.4 "Backslash escapes",
    https://spec.commonmark.org/0.31.2/#backslash-escapes). That disarms links and images, autolinks
    ``<...>``, HTML tags and entities, emphasis, headings, lists, quotes, code, tables, ``$`` math and
    Streamlit's ``:red[...]`` directives and ``:material/...:`` icons. What Streamlit finds after
    parsing is kept apart by :data:`FOUND_AFTER_PARSING`. Line breaks and runs of white space become
    one space, the ends are trimmed, and bidi controls are removed (:func:`display_name`).

    >>> escape_markdown("Café & Co. (Mall)")
    'Café \\& Co\\. \\(Mall\\)'
    """
    flat = WHITE_SPACE.sub(" ", display_name(str(text))).strip()
    return MARKDOWN_SIGNS.sub(r"\\\1", FOUND_AFTER_PARSING.sub(WORD_JOINER, flat))
