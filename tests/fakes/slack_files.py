"""files_upload_v2 on the fake Slack: files.getUploadURLExternal, the upload URL, and
files.completeUploadExternal, after Slack's method reference (docs.slack.dev).

1. `files.getUploadURLExternal` (filename, length required; length 0 is `missing_argument`)
   answers an `upload_url` and a `file_id`.
2. A POST of the bytes to `upload_url` answers 200 `OK - <length>`; the URL works once, an
   unknown or used one answers 404.
3. `files.completeUploadExternal` (files=[{id, title}], channel_id or channels, initial_comment,
   thread_ts) shares the files: an id never issued, not uploaded yet, or already completed is
   `file_not_found`; a malformed channel is `channel_not_found`; a thread_ts that is no
   message there is `invalid_thread_ts`. Without a channel the file stays private, as on Slack.
Shared files appear in the channel as a message (with `files`) like Slack's file share.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.base import JSON, Call, Response

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack

UPLOAD_PREFIX = "/upload/v1/"
MAX_ALT_TXT = 1000
MAX_FILE_SIZE = 1024 * 1024 * 1024  # Slack's 1 GB upload limit
_CHANNEL = re.compile(r"^[CDG][A-Z0-9]{2,}$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class FakeFile:
    id: str
    filename: str
    declared_length: int
    alt_txt: str | None
    token: str
    data: bytes | None = None  # set by the upload
    title: str | None = None
    completed: bool = False
    shares: dict[str, list[str]] = field(default_factory=dict)  # channel -> message ts

    @property
    def uploaded(self) -> bool:
        return self.data is not None


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when `data` is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _err(error: str) -> JSON:
    return {"ok": False, "error": error}


class SlackFiles:
    """The file side of one FakeSlack; state lives here, calls run under the fake's lock."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.files: dict[str, FakeFile] = {}
        self._upload_urls: dict[str, str] = {}  # token in the URL -> file id, until used
        self._ids = itertools.count(1)

    def register(self) -> None:
        self.slack.register_method("files.getUploadURLExternal", self._get_upload_url)
        self.slack.register_method("files.completeUploadExternal", self._complete)
        self.slack.register_path(UPLOAD_PREFIX, self._upload)

    # -- assertions (take the fake's lock) ------------------------------------------------------

    def uploaded(self, channel: str | None = None) -> list[FakeFile]:
        """Completed files in upload order (only those shared in `channel` when given)."""
        with self.slack._cond:
            return [
                f for f in self.files.values() if f.completed and (channel is None or channel in f.shares)
            ]

    # -- methods ----------------------------------------------------------------------------------

    def _get_upload_url(self, p: dict[str, Any]) -> JSON:
        filename = str(p.get("filename") or "")
        try:
            length = int(str(p.get("length") or "0"))
        except ValueError:
            return _err("invalid_arguments")
        if not filename or length <= 0:
            return _err("missing_argument")
        if length > MAX_FILE_SIZE:
            return _err("file_upload_size_restricted")
        alt_txt = p.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > MAX_ALT_TXT:
            return _err("alt_txt_too_large")
        file_id = f"F{next(self._ids):010d}"
        secret = f"{file_id}x{next(self._ids)}"
        self.files[file_id] = FakeFile(
            id=file_id,
            filename=filename,
            declared_length=length,
            alt_txt=str(alt_txt) if alt_txt is not None else None,
            token=secret,
        )
        self._upload_urls[secret] = file_id
        return {"ok": True, "upload_url": f"{self.slack.url}{UPLOAD_PREFIX}{secret}", "file_id": file_id}

    def _upload(self, call: Call) -> Response:
        secret = call.path.removeprefix(UPLOAD_PREFIX)
        file_id = self._upload_urls.pop(secret, None) if call.method == "POST" else None
        if file_id is None:
            return Response(404, "Not Found", content_type="text/plain")
        self.files[file_id].data = call.body
        return Response(200, f"OK - {len(call.body)}", content_type="text/plain")

    def _complete(self, p: dict[str, Any]) -> JSON:
        try:
            entries = json.loads(p["files"]) if isinstance(p.get("files"), str) else p.get("files")
        except ValueError:
            return _err("invalid_arguments")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            return _err("invalid_arguments")
        found = [self.files.get(str(e.get("id") or "")) for e in entries]
        if any(f is None or not f.uploaded or f.completed for f in found):
            return _err("file_not_found")
        channels = [str(p["channel_id"])] if p.get("channel_id") else []
        if p.get("channels"):
            channels += [c.strip() for c in str(p["channels"]).split(",") if c.strip()]
        channels = [self.slack.dm_channel(c) for c in channels]
        if any(not _CHANNEL.match(c) for c in channels):
            return _err("channel_not_found")
        thread_ts = str(p.get("thread_ts") or "") or None
        if thread_ts and (len(channels) != 1 or (channels[0], thread_ts) not in self.slack.messages):
            return _err("invalid_thread_ts")
        files = [f for f in found if f is not None]
        for entry, file in zip(entries, files, strict=True):
            file.title = str(entry.get("title") or file.filename)
            file.completed = True
        for channel in channels:
            ts = self._share(
                channel, text=str(p.get("initial_comment") or ""), files=files, thread_ts=thread_ts
            )
            for file in files:
                file.shares.setdefault(channel, []).append(ts)
        return {"ok": True, "files": [self._info(f) for f in files]}

    def _share(self, channel: str, *, text: str, files: list[FakeFile], thread_ts: str | None) -> str:
        """The file-share message Slack posts in the channel."""
        slack = self.slack
        ts = slack._next_ts()
        message: JSON = {
            "type": "message",
            "subtype": "file_share",
            "user": slack.BOT_USER_ID,
            "text": text,
            "ts": ts,
            "files": [{"id": f.id, "name": f.filename, "title": f.title} for f in files],
        }
        slack._store(channel, message, thread_ts)
        return ts

    def _info(self, file: FakeFile) -> JSON:
        data = file.data or b""
        shares = {
            ("private" if c.startswith("D") else "public"): {c: [{"ts": ts} for ts in tss]}
            for c, tss in file.shares.items()
        }
        info: JSON = {
            "id": file.id,
            "name": file.filename,
            "title": file.title or file.filename,
            "size": len(data),
            "mimetype": "image/png" if png_size(data) else "application/octet-stream",
            "filetype": "png" if png_size(data) else "binary",
            "is_public": any(not c.startswith("D") for c in file.shares),
            "shares": shares,
            "channels": [c for c in file.shares if c.startswith("C")],
        }
        if file.alt_txt is not None:
            info["alt_txt"] = file.alt_txt
        return info
