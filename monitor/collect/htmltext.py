"""Post HTML (Mastodon content, feed descriptions, Telegram message bodies) as plain text,
the way a reader sees it: ``<br>`` is a line break, paragraphs are separated by a blank
line, a link is its text (Mastodon hides part of a long URL in ``<span class="invisible">``;
the hidden parts are kept, so the text holds the full URL), runs of spaces collapse as in a
browser, and scripts, styles and comments are dropped.
"""

from __future__ import annotations

import html as htmllib
import re

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PreformattedString

#: elements that stand apart from their neighbours by a blank line
_PARAGRAPHS = frozenset(
    {
        "p",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "dl",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "aside",
    }
)
#: elements that start on a line of their own
_LINES = frozenset({"div", "li", "dt", "dd", "tr", "figcaption", "address", "details", "summary"})
#: elements whose content is not text a reader sees
_SKIP = frozenset({"script", "style", "head", "template", "noscript", "iframe", "object"})

# Private-use characters stand for breaks (and for the spaces and newlines of <pre>, which
# do not collapse) while the text is assembled; they are resolved at the end, and any that
# came in with the input are removed first.
_BR = "\ue000"
_LINE = "\ue001"
_PARA = "\ue002"
_PRE_NEWLINE = "\ue003"
_PRE_SPACE = "\ue004"
_MARKERS = str.maketrans("", "", _BR + _LINE + _PARA + _PRE_NEWLINE + _PRE_SPACE)
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_BREAKS = re.compile(f"[ {_BR}{_LINE}{_PARA}]*[{_BR}{_LINE}{_PARA}][ {_BR}{_LINE}{_PARA}]*")


def _walk(node: Tag, out: list[str], *, pre: bool) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if isinstance(child, PreformattedString):  # comments, CDATA, doctype
                continue
            text = str(child).translate(_MARKERS)
            if pre:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                out.append(text.replace("\n", _PRE_NEWLINE).replace(" ", _PRE_SPACE))
            else:
                out.append(_SPACES.sub(" ", text))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in _SKIP:
            continue
        if name == "br":
            out.append(_BR)
            continue
        mark = _PARA if name in _PARAGRAPHS else _LINE if name in _LINES else ""
        if name in ("td", "th"):
            mark = " "
        out.append(mark)
        _walk(child, out, pre=pre or name == "pre")
        out.append(mark)


def _resolve(match: re.Match[str]) -> str:
    run = match.group(0)
    # a paragraph edge or two <br> in a row make a blank line; block edges alone, one break
    return "\n\n" if _PARA in run or run.count(_BR) > 1 else "\n"


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, with its line breaks and paragraphs."""
    if not html or not html.strip():
        return ""
    if "<" not in html:  # no markup, only entities (and no bs4 warning about "a URL")
        return _SPACES.sub(" ", htmllib.unescape(html).translate(_MARKERS)).strip(" ")
    soup = BeautifulSoup(html, "lxml")
    out: list[str] = []
    _walk(soup, out, pre=False)
    text = re.sub(" {2,}", " ", "".join(out))
    text = _BREAKS.sub(_resolve, text).strip(" \n")
    return text.replace(_PRE_NEWLINE, "\n").replace(_PRE_SPACE, " ")
