"""Mastodon REST API: public statuses of an account, no token needed.

A poll resolves the handle (``GET /api/v1/accounts/lookup?acct=``) on the account's own
server (``user@host``), or on the server named by ``instance``, then reads
``GET /api/v1/accounts/:id/statuses``. With a cursor it asks for ``min_id``: Mastodon
answers with the statuses immediately newer than it, newest first, and its ``Link`` header
(``rel="prev"``) carries the ``min_id`` of the next newer page; pages come oldest first, so
each page is yielded (reversed) as soon as it arrives. The first poll pages backwards from
the newest (``max_id``, ``rel="next"``) until it passes the look-back window.

The cursor is JSON holding the server, the account id, the acct it was resolved from and
the newest status id stored, so the lookup is not repeated; a bare status id (an older
cursor) is accepted too. Nothing is cached on the collector itself.

A boost carries the boosted status's text and ``shared_from`` (``@acct URL``) while its id,
time and URL are the boost's own. Content is HTML (``html_to_text``); a content warning
(``spoiler_text``) comes first, then the text, then the options of a poll and the text of a
quoted status. An edited status simply has new text: the store records edits.

A locked account (``locked: true``) still shows its public statuses; a suspended account,
a 404 or a 410 is ``AccountUnavailable``. A token (``token_env``) is only sent to the one
server named by ``instance``, never to every account's server.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.collect.base import Collector, CollectorOptions, Listing
from monitor.collect.htmltext import html_to_text
from monitor.domain import Account, Post
from monitor.errors import AccountUnavailable, CollectorBroken, MalformedResponse

_HANDLE = re.compile(
    r"@?(?P<user>[A-Za-z0-9_][A-Za-z0-9_.\-]*)(?:@(?P<host>[A-Za-z0-9][A-Za-z0-9.\-]*(?::\d+)?))?"
)
_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class MastodonSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: One server to ask for every account (e.g. "https://mastodon.social"); by default each
    #: account's own server, from its handle user@host, over https.
    instance: str | None = None
    #: The environment variable holding an access token for ``instance`` (public statuses
    #: need none; some servers require one for their API).
    token_env: str | None = None
    #: Statuses per page (Mastodon allows at most 40).
    limit: int = Field(40, ge=1, le=40)
    #: Pages per poll or re-scan at most.
    max_pages: int = Field(10, ge=1, le=1000)
    #: Leave out the account's replies.
    exclude_replies: bool = False
    #: Leave out the account's boosts.
    exclude_reblogs: bool = False

    @field_validator("instance")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"instance {value!r} harus alamat http(s)://, mis. https://mastodon.social"
            )
        return value

    @model_validator(mode="after")
    def _token_needs_instance(self) -> MastodonSettings:
        if self.token_env and not self.instance:
            raise ValueError(
                "token_env hanya boleh dipakai bersama instance (token tidak dikirim ke server "
                "setiap akun)"
            )
        return self


@dataclass(frozen=True)
class _Cursor:
    server: str | None = None
    acct: str | None = None
    account_id: str | None = None
    min_id: str | None = None


@dataclass(frozen=True)
class _Where:
    """Where an account's statuses are read: the API base URL and the acct to look up."""

    base: str
    acct: str
    host: str
    what: str


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def read_cursor(cursor: str | None) -> _Cursor:
    """The JSON cursor, a bare status id (legacy), or nothing; an unreadable cursor is
    logged and treated as none (a first poll: the store ignores posts it already has)."""
    if not cursor:
        return _Cursor()
    if _is_id(cursor):
        return _Cursor(min_id=cursor)
    try:
        data = json.loads(cursor)
    except ValueError:
        data = None
    if isinstance(data, dict) and all(
        data.get(k) is None or _is_id(data.get(k)) for k in ("account_id", "min_id")
    ):
        server, acct = data.get("server"), data.get("acct")
        return _Cursor(
            server if isinstance(server, str) else None,
            acct if isinstance(acct, str) else None,
            data.get("account_id"),
            data.get("min_id"),
        )
    logger.warning("mastodon: unreadable cursor {!r}; polling as if for the first time", cursor)
    return _Cursor()


def _parse_time(value: Any, what: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(f"{what}: created_at {value!r} bukan waktu ISO 8601") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _link_param(response: httpx.Response, rel: str, name: str) -> str | None:
    """``name`` from the query of the ``Link`` header's ``rel`` URL (max_id, min_id)."""
    link = response.links.get(rel)
    if not link or "url" not in link:
        return None
    values = parse_qs(urlsplit(link["url"]).query).get(name)
    return values[0] if values and _is_id(values[0]) else None


class MastodonCollector(Collector):
    name: ClassVar[str] = "mastodon"
    summary: ClassVar[str] = "API REST Mastodon: status publik akun di servernya (tanpa token)"
    version: ClassVar[str] = "1"
    Settings: ClassVar[type[BaseModel]] = MastodonSettings

    def __init__(
        self,
        settings: BaseModel,
        *,
        instance: str,
        base_dir: Path,
        options: CollectorOptions | None = None,
    ) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir, options=options)
        assert isinstance(settings, MastodonSettings)
        self.config = settings

    def serves(self, account: Account) -> bool:
        return account.platform == "mastodon" and (
            self.config.instance is not None or "@" in account.handle.strip().lstrip("@")
        )

    def broken(self) -> str | None:
        env = self.config.token_env
        if env and not os.environ.get(env, "").strip():
            return f"token Mastodon belum diatur: variabel lingkungan {env} kosong atau tidak ada"
        return None

    def where(self, account: Account) -> _Where:
        """The server and acct for ``account``: ``@user@host``, ``user@host``, or a bare
        ``user`` when ``instance`` is set."""
        handle = account.handle.strip()
        found = _HANDLE.fullmatch(handle)
        if not found:
            raise AccountUnavailable(f"{handle}: bukan alamat Mastodon (pengguna@server)")
        user, host = found["user"], (found["host"] or "").lower() or None
        what = f"akun Mastodon @{user}@{host}" if host else f"akun Mastodon @{user}"
        if self.config.instance:
            server = urlsplit(self.config.instance).netloc.lower()
            acct = user if host is None or host == server else f"{user}@{host}"
            return _Where(self.config.instance, acct, server, what)
        if host is None:
            raise AccountUnavailable(
                f"{what}: tulis alamat lengkap pengguna@server, atau atur 'instance' kolektor"
            )
        return _Where(f"https://{host}", user, host, what)

    # -- requests ---------------------------------------------------------------------

    def _auth(self, what: str) -> dict[str, str]:
        env = self.config.token_env
        if not env:
            return {}
        token = os.environ.get(env, "").strip()
        if not token:
            raise CollectorBroken(
                f"{what}: token Mastodon belum diatur (variabel lingkungan {env})"
            )
        return {"Authorization": f"Bearer {token}"}

    def _get(
        self, where: _Where, path: str, params: Mapping[str, str], auth: dict[str, str]
    ) -> tuple[Any, httpx.Response]:
        response = self.http.get(
            where.base + path, what=where.what, params=params, headers=auth, ok=(200, 401)
        )
        if response.status_code == 401:
            if self.config.instance:
                raise CollectorBroken(
                    f"{where.what}: {where.host} menolak permintaan (HTTP 401); "
                    + ("periksa token" if auth else "server ini meminta token (atur token_env)")
                )
            # one server wanting a login must not stop the collector for every other server
            raise AccountUnavailable(
                f"{where.what}: {where.host} meminta login untuk API publiknya (HTTP 401); "
                "atur instance dan token_env untuk server ini"
            )
        return self.http.json(response, what=where.what), response

    def _lookup(self, where: _Where, auth: dict[str, str]) -> str:
        data, _ = self._get(where, "/api/v1/accounts/lookup", {"acct": where.acct}, auth)
        if not isinstance(data, dict) or not _is_id(data.get("id")):
            raise MalformedResponse(f"{where.what}: jawaban pencarian akun tanpa id yang sah")
        if data.get("suspended"):
            raise AccountUnavailable(f"{where.what}: akun ditangguhkan di {where.host}")
        if data.get("moved"):
            logger.info("mastodon {}: the account has moved to another one", where.what)
        return str(data["id"])

    def _params(self) -> dict[str, str]:
        params = {"limit": str(self.config.limit)}
        if self.config.exclude_replies:
            params["exclude_replies"] = "true"
        if self.config.exclude_reblogs:
            params["exclude_reblogs"] = "true"
        return params

    def _page(
        self, where: _Where, account_id: str, params: Mapping[str, str], auth: dict[str, str]
    ) -> tuple[list[dict[str, Any]], httpx.Response]:
        data, response = self._get(where, f"/api/v1/accounts/{account_id}/statuses", params, auth)
        if not isinstance(data, list) or not all(
            isinstance(s, dict) and _is_id(s.get("id")) for s in data
        ):
            raise MalformedResponse(
                f"{where.what}: jawaban {where.host} bukan daftar status yang sah"
            )
        return data, response

    def _backwards(
        self,
        account: Account,
        where: _Where,
        account_id: str,
        since: datetime,
        auth: dict[str, str],
    ) -> tuple[list[Post], bool]:
        """Statuses created since ``since``, newest first, and whether paging got past
        ``since`` (or to the account's first status) within ``max_pages``."""
        posts: list[Post] = []
        max_id: str | None = None
        for _ in range(self.config.max_pages):
            params = {**self._params(), "max_id": max_id} if max_id else self._params()
            statuses, response = self._page(where, account_id, params, auth)
            if not statuses:
                return posts, True
            page = [self._post(s, account, where) for s in statuses]
            posts.extend(p for p in page if p.created_at >= since)
            if page[-1].created_at < since:
                return posts, True
            max_id = _link_param(response, "next", "max_id") or page[-1].post_id
        return posts, False

    # -- posts ------------------------------------------------------------------------

    def _post(self, status: dict[str, Any], account: Account, where: _Where) -> Post:
        reblog = status.get("reblog")
        inner: dict[str, Any] = reblog if isinstance(reblog, dict) else status
        text = self._text(inner, where)
        shared_from = self._shared(inner, where) if inner is not status else None
        media = self._media(inner)
        quote = inner.get("quote")
        quoted = quote.get("quoted_status") if isinstance(quote, dict) else None
        kind = "boost" if inner is not status else "status"
        if isinstance(quoted, dict):
            text = "\n\n".join(t for t in (text, self._text(quoted, where)) if t)
            media += self._media(quoted)
            shared_from = shared_from or self._shared(quoted, where)
            kind = "quote" if kind == "status" else kind
        if kind == "status" and status.get("in_reply_to_id"):
            kind = "reply"
        raw = {
            k: status.get(k)
            for k in (
                "uri",
                "visibility",
                "language",
                "sensitive",
                "spoiler_text",
                "in_reply_to_id",
                "edited_at",
            )
        }
        author = status.get("account")
        return Post(
            platform="mastodon",
            post_id=status["id"],
            author=account.handle,
            text=text,
            created_at=_parse_time(status.get("created_at"), where.what),
            payload=json.dumps(status, ensure_ascii=False),
            url=status.get("url") or status.get("uri") or None,
            shared_from=shared_from,
            media=tuple(dict.fromkeys(media)),
            raw={
                **raw,
                "kind": kind,
                "account_id": author.get("id") if isinstance(author, dict) else None,
                "reblog_id": inner.get("id") if inner is not status else None,
            },
        )

    @staticmethod
    def _text(status: dict[str, Any], where: _Where) -> str:
        content = status.get("content")
        text = html_to_text(content) if isinstance(content, str) else ""
        spoiler = status.get("spoiler_text")
        if isinstance(spoiler, str) and spoiler.strip():
            text = f"{spoiler.strip()}\n\n{text}" if text else spoiler.strip()
        poll = status.get("poll")
        options = poll.get("options") if isinstance(poll, dict) else None
        if isinstance(options, list):
            titles = [o["title"] for o in options if isinstance(o, dict) and o.get("title")]
            if titles:
                text = "\n\n".join(t for t in (text, "\n".join(f"- {t}" for t in titles)) if t)
        return text

    @staticmethod
    def _media(status: dict[str, Any]) -> list[str]:
        attachments = status.get("media_attachments")
        if not isinstance(attachments, list):
            return []
        return [
            str(m.get("url") or m.get("remote_url"))
            for m in attachments
            if isinstance(m, dict) and (m.get("url") or m.get("remote_url"))
        ]

    @staticmethod
    def _shared(status: dict[str, Any], where: _Where) -> str | None:
        """``@acct@host URL`` of the boosted or quoted status: the rules match both."""
        author = status.get("account")
        acct = author.get("acct") if isinstance(author, dict) else None
        url = status.get("url") or status.get("uri")
        parts = []
        if isinstance(acct, str) and acct:
            parts.append(f"@{acct}" if "@" in acct else f"@{acct}@{where.host}")
        if isinstance(url, str) and url:
            parts.append(url)
        return " ".join(parts) or None

    # -- the interface ----------------------------------------------------------------

    def _cursor_text(self, where: _Where, account_id: str, min_id: str) -> str:
        return json.dumps(
            {"server": where.base, "acct": where.acct, "account_id": account_id, "min_id": min_id}
        )

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        where = self.where(account)
        auth = self._auth(where.what)
        state = read_cursor(cursor)
        if state.account_id and state.server == where.base and state.acct == where.acct:
            account_id = state.account_id
        else:
            account_id = self._lookup(where, auth)
        if state.min_id is None:
            since = datetime.now(UTC) - timedelta(seconds=self.options.lookback)
            posts, _ = self._backwards(account, where, account_id, since, auth)
            for post in reversed(posts):
                yield replace(post, cursor=self._cursor_text(where, account_id, post.post_id))
            return
        min_id = state.min_id
        for _ in range(self.config.max_pages):
            statuses, response = self._page(
                where, account_id, {**self._params(), "min_id": min_id}, auth
            )
            if not statuses:
                return
            page = [self._post(s, account, where) for s in reversed(statuses)]
            for post in page:
                yield replace(post, cursor=self._cursor_text(where, account_id, post.post_id))
            min_id = _link_param(response, "prev", "min_id") or page[-1].post_id
        logger.info(
            "mastodon {}: {} pages read; newer statuses come next poll",
            where.what,
            self.config.max_pages,
        )

    def rescan(self, account: Account, since: datetime) -> Listing | None:
        where = self.where(account)
        auth = self._auth(where.what)
        account_id = self._lookup(where, auth)
        posts, reached = self._backwards(account, where, account_id, since, auth)
        complete = since if reached or not posts else max(since, posts[-1].created_at)
        ordered = [
            replace(p, cursor=self._cursor_text(where, account_id, p.post_id))
            for p in reversed(posts)
        ]
        return Listing(ordered, complete)
