"""Secrets never reach a log line."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactSecrets


def test_configured_secrets_and_token_shapes_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets(["super-secret-value"]))
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info(
            "token=%s secret=%s url=%s",
            "xoxb-123-456-abc",
            "super-secret-value",
            "https://graph/v21.0/1/comments?access_token=EAAB123&x=1",
        )
        try:
            raise RuntimeError("failed with xapp-1-A0-secret")
        except RuntimeError:
            logger.exception("boom")
    text = caplog.text
    for secret in ("xoxb-123-456-abc", "super-secret-value", "EAAB123", "xapp-1-A0-secret"):
        assert secret not in text
    assert "[redacted]" in text
