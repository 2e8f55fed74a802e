"""Facebook Page comments: in by the `feed` webhook, out as a comment on the comment."""

from __future__ import annotations

from datetime import datetime

from bot.platforms.base import Connection, PlatformError, Published, ReplyTarget
from bot.platforms.graph import GraphClient, made_since


class FacebookPlatform:
    name = "facebook"
    label = "Facebook"
    max_reply_length = 8000

    def __init__(self, *, page_id: str, graph: GraphClient) -> None:
        self.page_id = page_id
        self._graph = graph

    def check_health(self) -> Connection:
        # A Page token's /me is the Page: this proves the token and that it is the Page's.
        page = self._graph.get("me", fields="id,name")
        return Connection(
            account=str(page.get("name") or page.get("id")), expires_at=self._graph.token_expires_at()
        )

    def reply_length(self, text: str) -> int:
        return len(text)

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        try:
            return self._graph.get(external_id, fields="permalink_url").get("permalink_url")
        except PlatformError:
            return None

    def exists(self, *, target: ReplyTarget) -> bool | None:
        return self._graph.exists(target.external_id)

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        result = self._graph.post(target.external_id, "comments", message=text)
        reply_id = str(result["id"])
        return Published(external_id=reply_id, url=comment_url(reply_id))

    def find_reply(self, *, target: ReplyTarget, text: str, since: datetime) -> Published | None:
        """The comment's replies (GET /{comment-id}/comments) for one from the Page with `text`."""
        replies = self._graph.edge(
            target.external_id,
            "comments",
            fields="from,message,created_time",
            order="reverse_chronological",
            limit="100",
        )
        for reply in replies:
            author = reply.get("from")
            if (
                isinstance(author, dict)
                and str(author.get("id")) == self.page_id
                and reply.get("message") == text
                and made_since(reply.get("created_time"), since)
            ):
                return Published(external_id=str(reply["id"]), url=comment_url(str(reply["id"])))
        return None


def comment_url(comment_id: str) -> str:
    # A comment id is "<post>_<comment>"; facebook.com/<id> resolves it.
    return f"https://www.facebook.com/{comment_id}"
