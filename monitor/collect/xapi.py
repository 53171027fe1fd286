"""X (Twitter) API v2: the official, paid route for a state body.

A poll resolves the handle once (``GET /2/users/by/username/:username``), then reads the
user's timeline (``GET /2/users/:id/tweets``) newer than the cursor, following
``meta.next_token`` up to ``max_pages``. The API pages newest first; the collector gathers
the pages and yields oldest first. The cursor is JSON holding the user id, the username it
was resolved from and the newest tweet id stored, so the lookup is not repeated; a bare
tweet id (an older cursor) is accepted too.

No tweet is skipped when an account posted more than ``max_pages`` pages since the last
poll: the poll stores the newest pages and the cursor records the range it could not read
as a *gap* (``gaps``: pairs of tweet ids, exclusive). Each later poll first walks the
oldest gap (``since_id`` and ``until_id``, up to ``max_pages`` again), shrinking or closing
it, then reads what is new. The cursor of every post yielded covers only what is stored up
to it, so a crash in between re-reads (the store ignores duplicates) and loses nothing. X
serves only the 3,200 most recent tweets of a timeline; a gap older than that comes back
empty and is closed with a warning. A gap whose walk finds no tweet is closed by the
cursor of the next tweet stored (until then it is walked again: one request, no reads).

X bills per tweet read: every tweet returned is a read (``Listing.reads`` for a re-scan; for
a poll, the posts yielded), and ``cost_per_read()`` turns reads into an estimate in US
dollars. The bearer token is read from the environment variable ``token_env`` at request
time, never from the configuration file.

A retweet's ``text`` is cut short (``RT @user: ...``): the post carries the original's full
text from ``includes.tweets`` and ``shared_from`` names the original (``@user URL``). A
quote keeps its own text and appends the quoted text after a blank line. Long tweets
(over 280 characters) carry their full text in ``note_tweet``, which is requested too.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.collect.base import Collector, CollectorOptions, Listing
from monitor.domain import Account, Post
from monitor.errors import AccountUnavailable, CollectError, CollectorBroken, MalformedResponse

TWEET_FIELDS = (
    "created_at,author_id,entities,referenced_tweets,attachments,edit_history_tweet_ids,"
    "lang,conversation_id,note_tweet"
)
EXPANSIONS = "referenced_tweets.id,referenced_tweets.id.author_id,attachments.media_keys"
MEDIA_FIELDS = "url,preview_image_url,type"
USER_FIELDS = "username"
#: milliseconds since the Unix epoch at which tweet ids (snowflakes) start counting
SNOWFLAKE_EPOCH_MS = 1288834974657
#: the API refuses a start_time before this
OLDEST_START = datetime(2010, 11, 6, 0, 0, 1, tzinfo=UTC)
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,50}")
_RETWEET_PREFIX = re.compile(r"RT @([A-Za-z0-9_]+):")
#: tweet fields kept in Post.raw (name prefixes: "edit_history" keeps edit_history_tweet_ids)
RAW_KEYS = ("author_id", "conversation_id", "lang", "referenced_tweets", "entities", "edit_history")


class XApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The API's address (a test server or a proxy may stand in for it).
    base_url: str = "https://api.x.com"
    #: The environment variable that holds the bearer token (the token itself never goes in
    #: the configuration file).
    token_env: str = Field("X_BEARER_TOKEN", min_length=1)
    #: Tweets per page (the API allows 5 to 100).
    max_results: int = Field(100, ge=5, le=100)
    #: Pages per poll or re-scan at most; every tweet on them is a billed read.
    max_pages: int = Field(10, ge=1, le=1000)
    #: Estimated US dollars per tweet read, for the cost line of the digest. It is an
    #: estimate: set it from the operator's contract or plan with X (pay-per-use price per
    #: post read, or the monthly fee divided by the monthly read cap).
    cost_per_read_usd: float = Field(0.005, ge=0)
    #: Include the account's replies (False sends ``exclude=replies``).
    include_replies: bool = True
    #: Include the account's retweets (False sends ``exclude=retweets``).
    include_retweets: bool = True

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {value!r} harus alamat http(s)://, mis. https://api.x.com")
        return value


Gap = tuple[str, str]
#: the most gaps a cursor keeps (the oldest are given up, with a warning)
MAX_GAPS = 20


@dataclass(frozen=True)
class _Cursor:
    user_id: str | None = None
    username: str | None = None
    since_id: str | None = None
    #: (after, before): tweets with ids strictly between were not read yet; oldest first
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class _Timeline:
    posts: list[Post]  # oldest first
    finished: bool  # pagination ended before max_pages
    reads: int


class _Includes:
    """A page's ``includes``, indexed by id (tweets, users) and media key."""

    def __init__(self, includes: Any, what: str) -> None:
        if not isinstance(includes, dict):
            raise MalformedResponse(f"{what}: 'includes' pada jawaban X API bukan objek")
        self.tweets = _index(includes.get("tweets"), "id", what)
        self.users = _index(includes.get("users"), "id", what)
        self.media = _index(includes.get("media"), "media_key", what)

    def referenced(self, tweet: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """The includes a tweet refers to (its referenced tweets and theirs, their authors,
        their media), so its evidence payload stands on its own."""
        tweets: list[dict[str, Any]] = []
        frontier = [tweet]
        for _ in range(2):  # a retweet of a quote refers to two levels
            refs = [i for t in frontier for i in _refs(t).values()]
            found = [self.tweets[i] for i in refs if i in self.tweets]
            found = _unique(t for t in found if all(t is not s for s in (tweet, *tweets)))
            tweets.extend(found)
            frontier = found
        chain = [tweet, *tweets]
        users = _unique(self.users.get(str(t.get("author_id"))) for t in chain)
        media = _unique(self.media.get(k) for t in chain for k in _media_keys(t))
        out = {"tweets": tweets, "users": users, "media": media}
        return {k: v for k, v in out.items() if v}


def _index(items: Any, key: str, what: str) -> dict[str, dict[str, Any]]:
    if items is None:
        return {}
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedResponse(f"{what}: daftar 'includes' pada jawaban X API tidak sah")
    return {str(i[key]): i for i in items if key in i}


def _unique(items: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if item is not None and all(item is not seen for seen in out):
            out.append(item)
    return out


def _refs(tweet: dict[str, Any]) -> dict[str, str]:
    refs = tweet.get("referenced_tweets") or []
    return {str(r.get("type")): str(r["id"]) for r in refs if isinstance(r, dict) and "id" in r}


def _media_keys(tweet: dict[str, Any]) -> list[str]:
    attachments = tweet.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    return [str(k) for k in keys] if isinstance(keys, list) else []


def _full_text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) else None
    if not isinstance(text, str):
        text = tweet.get("text")
    return html.unescape(text) if isinstance(text, str) else ""  # X escapes & < >


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value.isdigit()


def _created_at(tweet: dict[str, Any], what: str) -> datetime:
    value = tweet.get("created_at")
    if value is None:  # not requested (default fields): the id says when
        ms = (int(tweet["id"]) >> 22) + SNOWFLAKE_EPOCH_MS
        return datetime.fromtimestamp(ms / 1000, UTC)
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(
            f"{what}: created_at {value!r} pada cuitan {tweet['id']} bukan waktu ISO 8601"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _iso(when: datetime) -> str:
    now = datetime.now(UTC) - timedelta(seconds=30)  # X refuses a start_time that is "now"
    when = min(max(when.astimezone(UTC), OLDEST_START), now)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_text(errors: Any) -> str:
    if not isinstance(errors, list):
        return ""
    parts = [
        str(e.get("detail") or e.get("title") or e.get("message") or e)
        for e in errors
        if isinstance(e, dict)
    ]
    return "; ".join(parts)


def read_cursor(cursor: str | None) -> _Cursor:
    """The JSON cursor, a bare tweet id (legacy), or nothing; an unreadable cursor is
    logged and treated as none (a first poll: the store ignores posts it already has)."""
    if not cursor:
        return _Cursor()
    if cursor.isdigit():
        return _Cursor(since_id=cursor)
    try:
        data = json.loads(cursor)
    except ValueError:
        data = None
    if isinstance(data, dict) and all(
        data.get(k) is None or _is_id(data.get(k)) for k in ("user_id", "since_id")
    ):
        username = data.get("username")
        return _Cursor(
            data.get("user_id"),
            username if isinstance(username, str) else None,
            data.get("since_id"),
            _read_gaps(data.get("gaps"), cursor),
        )
    logger.warning("x_api: unreadable cursor {!r}; polling as if for the first time", cursor)
    return _Cursor()


def _read_gaps(value: Any, cursor: str) -> tuple[Gap, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(
        isinstance(g, list) and len(g) == 2 and all(_is_id(i) for i in g) for g in value
    ):
        return tuple((str(a), str(b)) for a, b in value)
    logger.warning("x_api: unreadable gaps in cursor {!r}; they are not walked", cursor)
    return ()


def _cursor_text(user_id: str, username: str, since_id: str, gaps: Iterable[Gap] = ()) -> str:
    data: dict[str, Any] = {"user_id": user_id, "username": username, "since_id": since_id}
    listed = [list(g) for g in gaps]
    if listed:
        data["gaps"] = listed
    return json.dumps(data)


class XApiCollector(Collector):
    name: ClassVar[str] = "x_api"
    summary: ClassVar[str] = "X API v2 resmi (berbayar, token bearer): linimasa akun X"
    version: ClassVar[str] = "1"
    billed: ClassVar[bool] = True
    Settings: ClassVar[type[BaseModel]] = XApiSettings

    def __init__(
        self,
        settings: BaseModel,
        *,
        instance: str,
        base_dir: Path,
        options: CollectorOptions | None = None,
    ) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir, options=options)
        assert isinstance(settings, XApiSettings)
        self.config = settings

    def serves(self, account: Account) -> bool:
        return account.platform == "x"

    def broken(self) -> str | None:
        if not os.environ.get(self.config.token_env, "").strip():
            return (
                f"token X API belum diatur: variabel lingkungan {self.config.token_env} kosong "
                "atau tidak ada"
            )
        return None

    def cost_per_read(self) -> float | None:
        return self.config.cost_per_read_usd

    # -- requests ---------------------------------------------------------------------

    def _auth(self, what: str) -> dict[str, str]:
        token = os.environ.get(self.config.token_env, "").strip()
        if not token:
            raise CollectorBroken(
                f"{what}: token X API belum diatur (variabel lingkungan {self.config.token_env})"
            )
        return {"Authorization": f"Bearer {token}"}

    def _get(
        self, path: str, params: Mapping[str, str], auth: dict[str, str], what: str
    ) -> dict[str, Any]:
        response = self.http.get(
            self.config.base_url + path,
            what=what,
            params=params,
            headers=auth,
            ok=(200, 400, 402, 403),
        )
        if response.status_code != 200:
            raise self._refused(response, what)
        body = self.http.json(response, what=what)
        if not isinstance(body, dict):
            raise MalformedResponse(f"{what}: jawaban {response.url.host} bukan objek JSON")
        return body

    def _refused(self, response: httpx.Response, what: str) -> CollectError:
        """X's own meaning of 400, 402 and 403 (HttpClient maps the other statuses)."""
        host, status = response.url.host, response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        detail = str(body.get("detail") or body.get("title") or _error_text(body.get("errors")))
        detail = f": {detail}" if detail else ""
        if status == 402:
            return CollectorBroken(
                f"{what}: {host} meminta pembayaran (HTTP 402{detail}); kredit atau paket X API "
                "habis"
            )
        if status == 403:
            kind = f"{body.get('type', '')} {body.get('title', '')}".casefold()
            if (
                body.get("reason")
                or body.get("required_enrollment")
                or "client-forbidden" in kind
                or "unsupported-authentication" in kind
            ):
                reason = body.get("reason") or body.get("title") or "forbidden"
                return CollectorBroken(
                    f"{what}: {host} menolak token untuk endpoint ini (HTTP 403, {reason}"
                    f"{detail}); periksa tingkat akses atau paket aplikasi di portal pengembang X"
                )
            return AccountUnavailable(f"{what}: akses ditolak oleh {host} (HTTP 403{detail})")
        return MalformedResponse(f"{what}: {host} menolak permintaan (HTTP {status}{detail})")

    def _lookup(self, username: str, auth: dict[str, str], what: str) -> tuple[str, str]:
        """The user id and the username as X spells it."""
        body = self._get(
            f"/2/users/by/username/{quote(username, safe='')}",
            {"user.fields": "protected"},
            auth,
            what,
        )
        data = body.get("data")
        if not data:
            if body.get("errors"):
                raise AccountUnavailable(
                    f"{what}: akun tidak ditemukan di X ({_error_text(body['errors'])})"
                )
            raise MalformedResponse(f"{what}: jawaban pencarian akun X tanpa 'data'")
        if not isinstance(data, dict) or not _is_id(data.get("id")):
            raise MalformedResponse(f"{what}: jawaban pencarian akun X tanpa id yang sah")
        if data.get("protected"):
            raise AccountUnavailable(f"{what}: akun dikunci (protected); cuitannya tidak publik")
        name = data.get("username")
        return data["id"], name if isinstance(name, str) and name else username

    def _params(self) -> dict[str, str]:
        params = {
            "max_results": str(self.config.max_results),
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "media.fields": MEDIA_FIELDS,
            "user.fields": USER_FIELDS,
        }
        exclude = {"replies": self.config.include_replies, "retweets": self.config.include_retweets}
        if not all(exclude.values()):
            params["exclude"] = ",".join(k for k, included in exclude.items() if not included)
        return params

    def _timeline(
        self,
        account: Account,
        user: tuple[str, str],
        params: dict[str, str],
        auth: dict[str, str],
        what: str,
    ) -> _Timeline:
        user_id, username = user
        posts: dict[str, Post] = {}
        reads, token = 0, None
        finished = False
        for _ in range(self.config.max_pages):
            query = {**params, "pagination_token": token} if token else params
            body = self._get(f"/2/users/{user_id}/tweets", query, auth, what)
            data, errors = body.get("data"), body.get("errors")
            if not data and errors:
                raise AccountUnavailable(
                    f"{what}: linimasa tidak dapat dibaca ({_error_text(errors)})"
                )
            if data is None:
                data = []
            if not isinstance(data, list):
                raise MalformedResponse(f"{what}: 'data' pada jawaban X API bukan daftar")
            if errors:  # e.g. a referenced tweet was deleted: the page is still good
                logger.warning("x_api {}: partial errors: {}", what, _error_text(errors))
            includes = _Includes(body.get("includes") or {}, what)
            reads += len(data)
            for tweet in data:
                post = self._post(tweet, includes, account, username, what)
                posts[post.post_id] = post
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if not token or not isinstance(token, str):
                finished = True
                break
        ordered = sorted(posts.values(), key=lambda p: int(p.post_id))
        return _Timeline(ordered, finished, reads)

    # -- posts ------------------------------------------------------------------------

    def _post(
        self,
        tweet: Any,
        includes: _Includes,
        account: Account,
        username: str,
        what: str,
    ) -> Post:
        if not isinstance(tweet, dict) or not _is_id(tweet.get("id")):
            raise MalformedResponse(f"{what}: cuitan tanpa id yang sah dalam jawaban X API")
        tweet_id: str = tweet["id"]
        refs = _refs(tweet)
        text = _full_text(tweet)
        media_keys = _media_keys(tweet)
        shared_from: str | None = None
        kind = "reply" if "replied_to" in refs else "tweet"
        if "retweeted" in refs:
            kind = "retweet"
            original = includes.tweets.get(refs["retweeted"])
            if original is not None:
                text = _full_text(original)
                media_keys += _media_keys(original)
                shared_from = self._shared(original, includes)
            else:  # deleted or withheld: keep the shortened text, name the author it shows
                found = _RETWEET_PREFIX.match(tweet.get("text") or "")
                shared_from = _share_line(found.group(1) if found else None, refs["retweeted"])
        elif "quoted" in refs:
            kind = "quote"
            quoted = includes.tweets.get(refs["quoted"])
            if quoted is not None:
                text = f"{text}\n\n{_full_text(quoted)}"
                media_keys += _media_keys(quoted)
                shared_from = self._shared(quoted, includes)
            else:
                shared_from = _share_line(None, refs["quoted"])
        media = tuple(
            dict.fromkeys(
                str(m.get("url") or m.get("preview_image_url"))
                for k in media_keys
                if (m := includes.media.get(k)) and (m.get("url") or m.get("preview_image_url"))
            )
        )
        referenced = includes.referenced(tweet)
        evidence = {**tweet, "includes": referenced} if referenced else tweet
        raw = {k: v for k, v in tweet.items() if k.startswith(RAW_KEYS)}
        return Post(
            platform="x",
            post_id=tweet_id,
            author=account.handle,
            text=text,
            created_at=_created_at(tweet, what),
            payload=json.dumps(evidence, ensure_ascii=False),
            url=f"https://x.com/{username}/status/{tweet_id}",
            shared_from=shared_from,
            media=media,
            raw={**raw, "kind": kind, "username": username},
        )

    @staticmethod
    def _shared(original: dict[str, Any], includes: _Includes) -> str:
        author = includes.users.get(str(original.get("author_id")))
        name = author.get("username") if author else None
        return _share_line(name if isinstance(name, str) else None, str(original.get("id")))

    # -- the interface ----------------------------------------------------------------

    def _username(self, account: Account) -> str:
        username = account.handle.strip().lstrip("@")
        if not _USERNAME.fullmatch(username):
            raise AccountUnavailable(f"@{username}: bukan nama pengguna X yang sah")
        return username

    def fetch(self, account: Account, cursor: str | None) -> Iterator[Post]:
        username = self._username(account)
        what = f"akun X @{username}"
        auth = self._auth(what)
        state = read_cursor(cursor)
        if state.user_id and (state.username or "").casefold() == username.casefold():
            user = (state.user_id, state.username or username)
        else:
            user = self._lookup(username, auth, what)
        gaps = list(state.gaps)  # after the fill below: the unread ranges older than since_id
        filled: list[Post] = []
        if state.since_id and gaps:  # the oldest range an earlier poll could not read
            after, before = gaps[0]
            query = {**self._params(), "since_id": after, "until_id": before}
            walk = self._timeline(account, user, query, auth, what)
            filled = walk.posts
            if not walk.finished:
                gaps[0] = (after, walk.posts[0].post_id)
            else:
                gaps.pop(0)
                if not walk.posts:
                    logger.warning(
                        "x_api {}: no tweet between {} and {} (deleted, or beyond the 3,200 "
                        "X serves); the gap is closed",
                        what,
                        after,
                        before,
                    )
        params = self._params()
        if state.since_id:
            params["since_id"] = state.since_id
        else:
            params["start_time"] = _iso(
                datetime.now(UTC) - timedelta(seconds=self.options.lookback)
            )
        timeline = self._timeline(account, user, params, auth, what)
        newest_gaps = list(gaps)
        if not timeline.finished and timeline.posts:
            if state.since_id:
                newest_gaps.append((state.since_id, timeline.posts[0].post_id))
                logger.warning(
                    "x_api {}: more than {} pages since tweet {}; the tweets before {} are "
                    "read by the next polls",
                    what,
                    self.config.max_pages,
                    state.since_id,
                    timeline.posts[0].post_id,
                )
            else:
                logger.warning(
                    "x_api {}: more than {} pages in the first poll's look-back; its older "
                    "tweets are not read",
                    what,
                    self.config.max_pages,
                )
        if len(newest_gaps) > MAX_GAPS:
            logger.warning(
                "x_api {}: {} unread ranges; the oldest are given up", what, len(newest_gaps)
            )
            newest_gaps = newest_gaps[-MAX_GAPS:]
        # Every cursor covers only what is stored up to its post: a filled tweet keeps the
        # old gaps (a crash before the last re-reads the range), the last one carries the
        # shrunk or closed gap; since_id moves only with the new tweets.
        since = state.since_id or ""
        for index, post in enumerate(filled):
            mark = gaps if index == len(filled) - 1 else state.gaps
            yield replace(post, cursor=_cursor_text(user[0], user[1], since, mark))
        for post in timeline.posts:
            cursor = _cursor_text(user[0], user[1], post.post_id, newest_gaps)
            yield replace(post, cursor=cursor)

    def rescan(self, account: Account, since: datetime) -> Listing | None:
        username = self._username(account)
        what = f"akun X @{username}"
        auth = self._auth(what)
        user = self._lookup(username, auth, what)
        params = {**self._params(), "start_time": _iso(since)}
        timeline = self._timeline(account, user, params, auth, what)
        complete = since
        if not timeline.finished and timeline.posts:
            complete = max(since, timeline.posts[0].created_at)
        posts = [
            replace(p, cursor=_cursor_text(user[0], user[1], p.post_id)) for p in timeline.posts
        ]
        return Listing(posts, complete, reads=timeline.reads)


def _share_line(username: str | None, tweet_id: str) -> str:
    """``@user https://x.com/user/status/id``: the rules match the handle and the URL."""
    if username:
        return f"@{username} https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/status/{tweet_id}"
