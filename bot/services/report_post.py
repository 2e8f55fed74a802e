"""Posting a report: its blocks in the channel, then its chart uploaded with files_upload_v2."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.message_builder.report import chart_title, report_message
from bot.services.reports import Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostedReport:
    channel: str
    ts: str
    file_id: str | None  # None when the chart could not be uploaded (the numbers are posted)


def post_report(
    client: WebClient,
    *,
    channel: str,
    report: Report,
    png: bytes,
    names: Mapping[str, str] | None = None,
) -> PostedReport:
    """Post the report's blocks in `channel`, then upload the chart there with files_upload_v2.

    Nothing is retried here: a post that fails raises `SlackApiError` to the caller, which may
    not know whether Slack kept it. A chart that fails to upload is logged and left out; the
    numbers are already in the channel.
    """
    text, blocks = report_message(report, names=names)
    posted = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
    ts = str(posted["ts"])
    log.info("report.posted channel=%s ts=%s", channel, ts)
    title = chart_title(report, names=names)
    try:
        uploaded = client.files_upload_v2(
            channel=channel,
            content=png,
            filename="report.png",
            title=title,
            alt_txt=title,
        )
    except (SlackApiError, SlackRequestError, OSError) as exc:
        log.warning("report.chart_failed channel=%s error=%s", channel, type(exc).__name__)
        return PostedReport(channel=channel, ts=ts, file_id=None)
    file_id = str(uploaded["file"]["id"])
    log.info("report.chart_uploaded channel=%s file=%s", channel, file_id)
    return PostedReport(channel=channel, ts=ts, file_id=file_id)
