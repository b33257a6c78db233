"""OpenTelemetry traces: one trace follows a message from Meta's POST to the reply, and a later
status links to the send it reports on (the SDK's in-memory exporter)."""

from __future__ import annotations

import asyncio

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from samples import db_rows

from botkit import hookimpl
from botkit.app import bot_of, create_app
from botkit.telemetry.tracing import NO_TRACING, open_tracing
from botkit.testing import BotRunner, make_settings, payloads


class Echo:
    @hookimpl
    async def message_received(self, bot, message):
        await message.reply(f"echo: {message.text}")


async def test_a_message_and_its_reply_and_status_are_one_linked_trace(tmp_path, fake_graph):
    exporter = InMemorySpanExporter()
    settings = make_settings(tmp_path, enabled_plugins=["echo"],
                             whatsapp={"graph_url": fake_graph.url})
    async with BotRunner(settings, extra_plugins={"echo": Echo()}) as runner:
        runner.bot.tracing = open_tracing(True, exporter=exporter)
        runner.bot.whatsapp.tracing = runner.bot.tracing
        sent = payloads.text_message("hi")
        await runner.post(sent)
        await runner.settle()
        assert len(fake_graph.sent_messages()) == 1
        [(wamid,)] = db_rows(runner, "SELECT result FROM outbox WHERE status = 'sent'")
        await runner.post(payloads.status(wamid, "read"))
        await runner.settle()
        await asyncio.sleep(0.1)
    spans = {s.name: [] for s in exporter.get_finished_spans()}
    for span in exporter.get_finished_spans():
        spans[span.name].append(span)
    request = spans["webhook.request"][0]
    assert spans["store.commit"][0].parent.span_id == request.context.span_id
    message_dispatch = next(s for s in spans["dispatch.event"]
                            if s.attributes["botkit.event.kind"] == "message")
    assert [link.context.span_id for link in message_dispatch.links] == [request.context.span_id]
    attempt = next(s for s in spans["plugin.attempt"] if s.attributes["botkit.plugin"] == "echo")
    assert attempt.parent.span_id == message_dispatch.context.span_id
    send = next(s for s in spans["graph.call"] if s.attributes["url.path"].endswith("/messages"))
    assert send.parent.span_id == attempt.context.span_id
    status_dispatch = next(s for s in spans["dispatch.event"]
                           if s.attributes["botkit.event.kind"] == "status")
    assert status_dispatch.attributes["messaging.message.id"] == wamid
    linked = {link.context.span_id for link in status_dispatch.links}
    assert attempt.context.span_id in linked  # the span that sent the message it reports on


def test_tracing_is_a_no_op_when_off(tmp_path):
    app = create_app(make_settings(tmp_path))
    assert bot_of(app).tracing is NO_TRACING
    with NO_TRACING.span("anything", links_to=["00-x"]):
        assert NO_TRACING.current_context() is None
