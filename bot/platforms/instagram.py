"""Instagram business comments: in by the `comments` webhook, out via /{comment-id}/replies."""

from __future__ import annotations

from datetime import datetime

from bot.platforms.base import Connection, PlatformError, Published, ReplyTarget
from bot.platforms.graph import GraphClient, made_since


class InstagramPlatform:
    name = "instagram"
    label = "Instagram"
    max_reply_length = 2200

    def __init__(self, *, account_id: str, graph: GraphClient) -> None:
        self.account_id = account_id
        self._graph = graph
        self._media_links: dict[str, str] = {}

    def check_health(self) -> Connection:
        account = self._graph.get(self.account_id, fields="id,username")
        return Connection(
            account="@" + str(account.get("username") or account.get("id")),
            expires_at=self._graph.token_expires_at(),
        )

    def reply_length(self, text: str) -> int:
        return len(text)

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        media_id = conversation_id
        if not media_id:
            return None
        if media_id not in self._media_links:
            try:
                link = self._graph.get(media_id, fields="permalink").get("permalink")
            except PlatformError:
                return None
            if not link:
                return None
            self._media_links[media_id] = link
        return self._media_links[media_id]

    def exists(self, *, target: ReplyTarget) -> bool | None:
        return self._graph.exists(target.external_id)

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        result = self._graph.post(target.external_id, "replies", message=text)
        return self._published(str(result["id"]), target)

    def find_reply(self, *, target: ReplyTarget, text: str, since: datetime) -> Published | None:
        """The comment's replies (GET /{comment-id}/replies) for one from our account with `text`."""
        replies = self._graph.edge(target.external_id, "replies", fields="from,username,text,timestamp")
        for reply in replies:
            author = reply.get("from")
            ours = isinstance(author, dict) and str(author.get("id")) == self.account_id
            if ours and reply.get("text") == text and made_since(reply.get("timestamp"), since):
                return self._published(str(reply["id"]), target)
        return None

    def _published(self, reply_id: str, target: ReplyTarget) -> Published:
        media_link = self._media_links.get(target.conversation_id or "")
        return Published(external_id=reply_id, url=media_link or "https://www.instagram.com/")
