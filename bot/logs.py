"""Logging set-up. Log lines use stable event names ("relay.posted item=12"), never secrets."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")
# key=value in query strings and key="value" in OAuth 1.0a Authorization headers (tweepy at DEBUG).
_QUERY_SECRET = re.compile(
    r"\b(access_token|input_token|appsecret_proof|client_secret|oauth_signature|oauth_token|"
    r"oauth_consumer_key|oauth_nonce|hub\.verify_token)=(\"[^\"]*\"?|[^&\s\"',]+)"
)
_BEARER = re.compile(r"\b(Bearer|OAuth)\s+(?!oauth_)[A-Za-z0-9%._~+/=-]{8,}")


class RedactSecrets(logging.Filter):
    """Masks configured secrets and anything shaped like a token in every record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _TOKEN.sub("[redacted]", text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)
        return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("slack_bolt") and "body" in str(record.msg).lower():
            # Bolt puts whole request bodies in some lines (e.g. a refused signature at INFO).
            record.msg, record.args = "slack.bolt_message (withheld: it carried a request body)", None
        # A newline inside a message (from a name, a text, a header) must not start a new log line.
        cleaned = self.redact(record.getMessage()).replace("\r", "\\r").replace("\n", "\\n")
        if record.exc_info:
            # Render the traceback now so it is redacted too.
            cleaned = cleaned + "\n" + self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = cleaned, None
        return True


def configure(*, level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # urllib3 logs full URLs, which for the Graph API carry access_token.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # waitress warns "Task queue depth" on every queued request during a burst; noise, not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # APScheduler logs every run of the one-second sweep at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
