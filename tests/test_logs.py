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


def test_quoted_oauth_header_values_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    # How tweepy/requests-oauthlib log the Authorization header at DEBUG.
    logger = logging.getLogger("test.redact.oauth")
    logger.addFilter(RedactSecrets([]))
    header = (
        'OAuth oauth_nonce="1234567890abcdef", oauth_timestamp="1700000000", oauth_version="1.0", '
        'oauth_signature_method="HMAC-SHA1", oauth_consumer_key="CONSUMERKEY123", '
        'oauth_token="1500-ACCESSTOKEN", oauth_signature="AbC%2BdEf%3D"'
    )
    with caplog.at_level(logging.DEBUG, logger="test.redact.oauth"):
        logger.debug("Updated headers: {'Authorization': '%s'}", header)
        logger.debug("Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%%2BuSeid")
    for secret in ("AbC%2BdEf%3D", "1500-ACCESSTOKEN", "CONSUMERKEY123", "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0"):
        assert secret not in caplog.text
    assert 'oauth_timestamp="1700000000"' in caplog.text  # what is not secret stays readable
