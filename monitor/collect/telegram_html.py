"""Reading the markup of Telegram's public channel preview (``https://t.me/s/<name>``).

snscrape's ``TelegramChannelScraper`` parses the page; these helpers add what it drops or
leaves out: line breaks in the message text (it reads ``.text``, which loses ``<br>``), the
message's own markup (the evidence payload), the ``data-post`` key, media URLs and the
"Forwarded from" source. Only BeautifulSoup here: this module must not import snscrape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

#: the message text div; a reply's quoted text carries other classes
MESSAGE_TEXT = "tgme_widget_message_text"
_BACKGROUND_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)['\"]?\)")


@dataclass(frozen=True)
class MessageDetails:
    """What one ``tgme_widget_message`` block says beyond snscrape's ``TelegramPost``."""

    #: ``data-post``: ``<channel username>/<message id>``, the username Telegram links to
    data_post: str
    channel: str
    message_id: int
    #: the block's markup as received (before line breaks were rewritten)
    html: str
    media: tuple[str, ...]
    #: the forwarded-from source: its link when the page gives one, else its name
    forwarded_from: str | None


def is_channel_page(soup: BeautifulSoup) -> bool:
    """Whether a ``/s/`` page is a public channel's message list. For any other name
    Telegram serves its generic "Contact @name" page, without ``tgme_channel_info``."""
    return soup.find("div", class_="tgme_channel_info") is not None


def message_blocks(soup: BeautifulSoup | Tag) -> list[Tag]:
    """The page's message blocks in page order (oldest first)."""
    return [
        tag
        for tag in soup.find_all("div", class_="tgme_widget_message", attrs={"data-post": True})
        if isinstance(tag, Tag)
    ]


def keep_line_breaks(soup: BeautifulSoup | Tag) -> None:
    """Turn every ``<br>`` inside the message-text divs into a newline, in place, so that
    ``.text`` keeps the message's lines."""
    for div in soup.find_all("div", class_=MESSAGE_TEXT):
        if isinstance(div, Tag):
            for br in div.find_all("br"):
                br.replace_with("\n")


def _background_url(tag: Tag) -> str | None:
    match = _BACKGROUND_URL.search(str(tag.get("style") or ""))
    return match.group(1) if match else None


def _media(block: Tag) -> tuple[str, ...]:
    urls: list[str] = []
    for wrap in block.find_all("a", class_="tgme_widget_message_photo_wrap"):
        if isinstance(wrap, Tag) and (url := _background_url(wrap)):
            urls.append(url)
    for player in block.find_all("a", class_="tgme_widget_message_video_player"):
        if not isinstance(player, Tag):
            continue
        video = player.find("video", src=True)
        if isinstance(video, Tag):
            urls.append(str(video["src"]))
        else:  # too large to play inline: the thumbnail is all the page has
            thumb = player.find("i", class_="tgme_widget_message_video_thumb")
            if isinstance(thumb, Tag) and (url := _background_url(thumb)):
                urls.append(url)
    return tuple(dict.fromkeys(urls))


def _forwarded_from(block: Tag) -> str | None:
    header = block.find("div", class_="tgme_widget_message_forwarded_from")
    if not isinstance(header, Tag):
        return None
    name = header.find(class_="tgme_widget_message_forwarded_from_name")
    if isinstance(name, Tag):
        if name.name == "a" and name.get("href"):
            return str(name["href"])
        return name.get_text(" ", strip=True) or None
    text = header.get_text(" ", strip=True).removeprefix("Forwarded from").strip()
    return text or None


def message_details(block: Tag) -> MessageDetails:
    """The details of one message block. ``ValueError`` when its ``data-post`` is not
    ``<name>/<id>``."""
    data_post = str(block["data-post"])
    channel, _, message_id = data_post.rpartition("/")
    if not channel or not message_id.isdigit():
        raise ValueError(f"data-post {data_post!r} bukan <nama>/<nomor>")
    return MessageDetails(
        data_post=data_post,
        channel=channel,
        message_id=int(message_id),
        html=str(block),
        media=_media(block),
        forwarded_from=_forwarded_from(block),
    )


def before_link(soup: BeautifulSoup) -> str | None:
    """The ``href`` of the "older messages" link, if the page has older messages."""
    more = soup.find("a", class_="tme_messages_more", attrs={"data-before": True})
    if isinstance(more, Tag) and more.get("href"):
        return str(more["href"])
    return None
