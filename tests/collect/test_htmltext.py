"""monitor.collect.htmltext: post HTML as the plain text a reader sees."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from monitor.collect.htmltext import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        ("   \n ", ""),
        ("teks biasa", "teks biasa"),
        ("baris<br>baru", "baris\nbaru"),
        ("baris<br/>\n   baru", "baris\nbaru"),
        ("<p>satu</p><p>dua</p>", "satu\n\ndua"),
        ("<p>satu<br>dua</p><p>tiga</p>", "satu\ndua\n\ntiga"),
        ("a<br><br>b", "a\n\nb"),
        ("a<br><br><br><br>b", "a\n\nb"),
        ("<div>satu</div><div>dua</div>", "satu\ndua"),
        ("<div>satu<br></div><div>dua</div>", "satu\ndua"),
        ("<ul><li>a</li><li>b</li></ul>ekor", "a\nb\n\nekor"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ('<a href="https://contoh.id/x">tautan</a> saja', "tautan saja"),
        ("Coblos &amp; menang &lt;3", "Coblos & menang <3"),
        ("a <b> b</b>   c\n\td", "a b c d"),
        ("<!-- komentar --><script>x()</script><style>p{}</style>terlihat", "terlihat"),
        ("<pre>  kode\n    menjorok</pre><p>sesudah</p>", "  kode\n    menjorok\n\nsesudah"),
        ("https://contoh.id/hanya-url", "https://contoh.id/hanya-url"),
        ("<p>Salam 🙏</p><p>Pilih no 2!</p>", "Salam 🙏\n\nPilih no 2!"),
        ("a\ue000b\ue001c", "abc"),
    ],
    ids=[
        "empty",
        "blank",
        "plain",
        "br",
        "br-newline-indent",
        "paragraphs",
        "br-inside-paragraph",
        "double-br-is-blank-line",
        "many-br-capped",
        "divs",
        "trailing-br-in-div",
        "list",
        "table-cells",
        "link-is-its-text",
        "entities",
        "whitespace-collapses",
        "comments-scripts-styles-dropped",
        "pre-kept",
        "bare-url-no-warning",
        "emoji",
        "private-use-markers-in-input",
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert html_to_text(html) == text


def test_mastodon_hidden_url_parts_are_kept() -> None:
    html = (
        '<p>baca <a href="https://contoh.id/berita/panjang-sekali" rel="nofollow">'
        '<span class="invisible">https://</span><span class="ellipsis">contoh.id/berita/pan'
        '</span><span class="invisible">jang-sekali</span></a></p>'
    )
    assert html_to_text(html) == "baca https://contoh.id/berita/panjang-sekali"


def test_recorded_mastodon_content(shared: Path) -> None:
    path = shared / "fixtures/mastodon-api/status_remote_media_mastodon_social.json"
    status = json.loads(path.read_text(encoding="utf-8"))
    assert html_to_text(status["content"]) == (
        "@halcy you're a doo-doo head\n\n"
        "edit: editing this to have the maximum amount of fields filled :trans_heart: "
        "#ThisIsAHashtag"
    )
