"""post_report against the fake Slack with a real WebClient: blocks posted, chart uploaded by
files_upload_v2 (getUploadURLExternal, the upload URL, completeUploadExternal); the fake's
refusals are Slack's."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.charts import render_chart
from bot.services.report_post import post_report
from bot.services.reports import build_report
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_files import png_size
from tests.services.test_reports import END, HOUR, MIN, START, row

CHANNEL = "C0ACME"


def _client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.url + "/api/", timeout=5)


def _report():  # type: ignore[no-untyped-def]
    rows = [row(n, at=START + n * HOUR, reply_after=n * MIN, brand="acme") for n in range(1, 30)]
    return build_report(rows=rows, period_start=START, period_end=END, target=HOUR)


def test_the_report_and_its_chart_reach_the_channel(slack: FakeSlack) -> None:
    report = _report()
    png = render_chart(report.brands[0], title="Acme")
    posted = post_report(_client(slack), channel=CHANNEL, report=report, png=png, names={"acme": "Acme <b>"})

    message = slack.posted(CHANNEL)[0]
    assert message["ts"] == posted.ts
    assert message["blocks"][0]["text"]["text"] == "Response report: Acme <b>"
    assert "&lt;b&gt;" in message["text"]

    (uploaded,) = slack.files.uploaded(CHANNEL)
    assert uploaded.id == posted.file_id
    assert uploaded.data == png and uploaded.declared_length == len(png)
    assert png_size(uploaded.data) == (960, 600)
    assert uploaded.filename == "report.png"
    assert uploaded.title == uploaded.alt_txt and "Acme <b>" in (uploaded.title or "")
    share = slack.message(CHANNEL, uploaded.shares[CHANNEL][0])
    assert share is not None and share["files"][0]["id"] == uploaded.id


def test_a_chart_that_cannot_be_uploaded_leaves_the_numbers_posted(slack: FakeSlack) -> None:
    slack.fail_next(
        path_contains="files.getUploadURLExternal",
        status=200,
        body={"ok": False, "error": "file_uploads_disabled"},
    )
    report = _report()
    posted = post_report(_client(slack), channel=CHANNEL, report=report, png=b"\x89PNG")
    assert posted.file_id is None
    assert len(slack.posted(CHANNEL)) == 1
    assert slack.files.uploaded() == []


def test_a_refused_post_raises_and_uploads_nothing(slack: FakeSlack) -> None:
    slack.fail_next(
        path_contains="chat.postMessage", status=200, body={"ok": False, "error": "not_in_channel"}
    )
    with pytest.raises(SlackApiError):
        post_report(_client(slack), channel=CHANNEL, report=_report(), png=b"\x89PNG")
    assert slack.files.uploaded() == []


def test_the_fake_refuses_what_slack_refuses(slack: FakeSlack) -> None:
    client = _client(slack)

    def error(call: object) -> str:
        with pytest.raises(SlackApiError) as caught:
            call()  # type: ignore[operator]
        return str(caught.value.response["error"])

    assert error(lambda: client.files_getUploadURLExternal(filename="a.png", length=0)) == "missing_argument"
    assert error(
        lambda: client.files_getUploadURLExternal(filename="a.png", length=3, alt_txt="x" * 1001)
    ) == ("alt_txt_too_large")
    assert error(lambda: client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id=CHANNEL)) == (
        "file_not_found"
    )

    issued = client.files_getUploadURLExternal(filename="a.png", length=3)
    file_id, url = issued["file_id"], issued["upload_url"]
    # Completing before the bytes arrived: there is no file yet.
    assert error(
        lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=CHANNEL)
    ) == ("file_not_found")
    with urllib.request.urlopen(urllib.request.Request(url, data=b"abc", method="POST"), timeout=5) as answer:
        assert answer.status == 200 and answer.read() == b"OK - 3"
    with pytest.raises(urllib.error.HTTPError) as again:  # an upload URL works once
        urllib.request.urlopen(urllib.request.Request(url, data=b"xyz", method="POST"), timeout=5)
    assert again.value.code == 404
    assert error(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="nope")) == (
        "channel_not_found"
    )
    assert error(
        lambda: client.files_completeUploadExternal(
            files=[{"id": file_id}], channel_id=CHANNEL, thread_ts="1.2"
        )
    ) == ("invalid_thread_ts")
    done = client.files_completeUploadExternal(files=[{"id": file_id, "title": "t"}], channel_id=CHANNEL)
    assert done["files"][0]["size"] == 3 and done["files"][0]["title"] == "t"
    assert error(
        lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=CHANNEL)
    ) == ("file_not_found")
    assert slack.files.uploaded(CHANNEL)[0].data == b"abc"


def test_without_a_channel_the_file_stays_private(slack: FakeSlack) -> None:
    done = _client(slack).files_upload_v2(content=b"\x89PNG\r\n\x1a\n", filename="x.png", title="x")
    assert done["file"]["shares"] == {}
    assert slack.files.uploaded()[0].shares == {}
