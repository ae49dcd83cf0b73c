"""Sending through the Web API: nudges as direct messages or channel digests, retried on
rate limits (429, honouring Retry-After) and Slack outages (5xx)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.delivery import Delivery, deliver, web_client
from handlers.reply import Action, Audience, Item, Reply, Section
from tests.slack_recorder import BOT_TOKEN, Recorder, SlackHarness, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_send_to_person_is_a_direct_message(recorder: Recorder) -> None:
    delivery = Delivery(recorder.url, BOT_TOKEN)
    reply = Reply(title="Due tomorrow", sections=[Section(None, [Item("#3 Book the hall", (Action("Mark done", "done 3"),))])])
    ts = delivery.send_to_person("T1", "UBOB", reply=reply, partnership_channel="C1")
    sent = recorder.calls("chat.postMessage")[-1]
    assert ts and sent.params["channel"] == "UBOB" and sent.token == BOT_TOKEN
    assert "#3 Book the hall" in text_of(sent.params["blocks"])
    assert sent.params["blocks"][1]["accessory"]["value"] == '{"run":"done 3","n":1,"in":"C1"}'
    assert "Due tomorrow" in sent.params["text"]


def test_send_to_channel_posts_a_digest(recorder: Recorder) -> None:
    Delivery(recorder.url, BOT_TOKEN).send_to_channel("T1", "C1", reply=Reply(text="Weekly digest: 3 open, 1 overdue"))
    sent = recorder.calls("chat.postMessage")[-1]
    assert (sent.params["channel"], sent.params["text"]) == ("C1", "Weekly digest: 3 open, 1 overdue")


def test_a_rate_limit_is_retried_after_the_time_slack_asks(recorder: Recorder) -> None:
    recorder.fail("chat.postMessage", status=429, retry_after="1")
    started = time.monotonic()
    Delivery(recorder.url, BOT_TOKEN).send_to_person("T1", "UBOB", reply=Reply(text="Reminder: Book the hall is due tomorrow"))
    assert time.monotonic() - started >= 1.0
    calls = recorder.calls("chat.postMessage")
    assert len(calls) == 2 and calls[0].params == calls[1].params


def test_an_outage_is_retried(recorder: Recorder) -> None:
    recorder.fail("chat.postMessage", status=503, retry_after="0", times=2)
    Delivery(recorder.url, BOT_TOKEN).send_to_channel("T1", "C1", reply=Reply(text="Digest"))
    assert len(recorder.calls("chat.postMessage")) == 3


def test_when_slack_keeps_refusing_the_caller_hears_of_it(recorder: Recorder) -> None:
    recorder.fail("chat.postMessage", status=429, retry_after="0", times=10)
    with pytest.raises(SlackApiError):
        Delivery(recorder.url, BOT_TOKEN).send_to_person("T1", "UBOB", reply=Reply(text="Reminder"))
    assert len(recorder.calls("chat.postMessage")) == 4  # the first try and three retries


def test_a_workspace_without_a_token_is_refused_plainly(recorder: Recorder) -> None:
    with pytest.raises(LookupError):
        Delivery(recorder.url, None).send_to_person("T9", "UBOB", reply=Reply(text="Reminder"))


def test_replies_to_commands_are_retried_too(riverside: SlackHarness) -> None:
    """A 429 on the announcement: it is posted once Slack allows, and the commitment logged once."""
    riverside.recorder.fail("chat.postMessage", status=429, retry_after="0")
    posted = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    attempts = [c for c in riverside.said("chat.postMessage") if c.params == posted.params]
    assert len(attempts) == 2
    assert "#1 Deliver 500 leaflets" in text_of(posted.params["blocks"])
    from tests.slack_recorder import state

    assert state(riverside.sessions)["commitments"] == 1
    assert state(riverside.sessions)["events"] == 5


def test_audience_decides_where_a_reply_goes(riverside: SlackHarness) -> None:
    from bot.slack.delivery import deliver, web_client

    client = web_client(riverside.recorder.url, BOT_TOKEN)
    deliver(client, Reply(text="for everyone", audience=Audience.CHANNEL), "C1", "UBOB")
    deliver(client, Reply(text="just for Bob"), "C1", "UBOB")
    deliver(client, Reply(text="no channel: a DM"), None, "UBOB")
    calls = riverside.recorder.calls()[-3:]
    assert [(c.method, c.params["channel"]) for c in calls] == [
        ("chat.postMessage", "C1"), ("chat.postEphemeral", "C1"), ("chat.postMessage", "UBOB")]


def test_replies_and_nudges_reuse_one_open_connection(riverside: SlackHarness) -> None:
    """Each Web API call used to open a connection of its own (against slack.com, a TLS
    handshake before every reply); now calls one after another share a kept-open one."""
    riverside.run('commit "Book the hall" by:friday', user="UBOB")
    riverside.run('commit "Print posters" by:friday', user="UCAROL")
    Delivery(riverside.recorder.url, BOT_TOKEN).send_to_person("T1", "UCAROL", reply=Reply(text="Reminder"))
    *announcements, nudge = riverside.said("chat.postMessage")[-3:]
    assert announcements[0].connection == announcements[1].connection == nudge.connection != 0


def test_a_connection_slack_closed_is_replaced_and_nothing_is_sent_twice(riverside: SlackHarness) -> None:
    """Slack closes connections left idle; the next reply goes over a new one, once."""
    riverside.run('commit "Book the hall" by:friday', user="UBOB")
    kept = riverside.last("chat.postMessage").connection
    riverside.recorder.drop_connections()
    before = len(riverside.said("chat.postMessage"))
    riverside.run('commit "Print posters" by:friday', user="UBOB")
    replies = riverside.said("chat.postMessage")
    assert len(replies) == before + 1 and replies[-1].connection != kept
    assert "Print posters" in text_of(replies[-1].params["blocks"])


def keepalive_timer(port: int, within: float = 3.0) -> float | None:
    """Seconds until the kernel's next keepalive probe on this machine's TCP connection from
    local `port` (/proc/net/tcp: timer 2), or None when none is armed `within` seconds. The
    connection shows it only once idle: while an acknowledgement or a retransmission is still
    pending, the kernel shows that timer in its place."""
    deadline = time.monotonic() + within
    while True:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # 01: established
                timer, when = fields[5].split(":")
                if timer == "02":
                    return int(when, 16) / os.sysconf("SC_CLK_TCK")
                break
        else:
            raise AssertionError(f"no connection from port {port}")
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
def test_an_idle_kept_connection_is_probed_so_a_silent_drop_is_noticed(riverside: SlackHarness) -> None:
    """A firewall that drops an idle connection without a word would make the next reply wait
    out its 30 s timeout: the kernel probes the kept connection after 30 s idle instead."""
    riverside.run('commit "Book the hall" by:friday', user="UBOB")
    timer = keepalive_timer(riverside.last("chat.postMessage").connection)
    assert timer is not None and 0 < timer <= 30


def test_a_forked_process_opens_connections_of_its_own(recorder: Recorder) -> None:
    """A worker forked after the parent called Slack (gunicorn --preload) must not write on
    the parent's kept connection: two processes' calls would interleave on one socket."""
    delivery = Delivery(recorder.url, BOT_TOKEN)
    delivery.send_to_channel("T1", "C1", reply=Reply(text="before the fork"))
    child = os.fork()
    if child == 0:  # the child: one call, then gone without running the parent's cleanup
        try:
            delivery.send_to_channel("T1", "C1", reply=Reply(text="from the child"))
        finally:
            os._exit(0)
    assert os.waitpid(child, 0)[1] == 0
    delivery.send_to_channel("T1", "C1", reply=Reply(text="after the fork"))
    before, forked, after = recorder.calls("chat.postMessage")[-3:]
    assert [c.params["text"] for c in (before, forked, after)] == ["before the fork", "from the child", "after the fork"]
    assert forked.connection != before.connection == after.connection


@pytest.mark.parametrize("answered", [False, True])
def test_a_refusal_carrying_words_for_the_asker_alone_delivers_them(recorder: Recorder, answered: bool) -> None:
    """A reopen code typed where others could see it is refused and spent, and its successor
    rides in the refusal's private note: it must reach the raiser, or they lose their voice."""
    refusal = Reply(text="A code can't be used where others can see it.", error=True, discreet=True,
                    private_note="Here is a new one for concern #1: code:abcd-efgh")
    deliver(web_client(recorder.url, BOT_TOKEN), refusal, "C1", "U1", answered=answered)
    shown = [text_of(c.params.get("blocks") or []) for c in recorder.calls("chat.postEphemeral")
             if c.params.get("user") == "U1"]
    assert any("Here is a new one for concern #1" in words for words in shown)
    assert not recorder.calls("chat.postMessage"), "nothing of it in the channel"
