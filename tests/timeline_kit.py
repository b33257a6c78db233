"""A customer's story told to a running bot, for the timeline, console and CLI tests: plugins
that reply, fail, retry and schedule timers, statuses from Meta, a handoff and its end."""

from __future__ import annotations

from dataclasses import dataclass, field

from botkit import hookimpl
from botkit.conversations.handoff import apply_handoff
from botkit.conversations.records import ModeChange
from botkit.testing import payloads

NAME = "Priya <script>window.__xss=3</script>"
XSS_TEXT = "crm-down <script>window.__xss=1</script>"
CUSTOMER = payloads.CUSTOMER_WA_ID
NUMBER = payloads.PHONE_NUMBER_ID
CONVERSATION = f"{NUMBER}:{CUSTOMER}"


class Echo:
    """Answers every text with ``echo <text>``."""

    @hookimpl
    def reply_for_message(self, message):
        return f"echo {message.text}"


class Crm:
    """Fails once on "flaky" (then works) and always on "crm-down" (quoting the text)."""

    def __init__(self) -> None:
        self.failed: set[str] = set()

    @hookimpl
    def message_received(self, message) -> None:
        text = message.text or ""
        if "crm-down" in text:
            raise ConnectionError(f"CRM refused {text}")
        if text == "flaky" and message.key not in self.failed:
            self.failed.add(message.key)
            raise TimeoutError("CRM too slow")


class Reminder:
    """On "remind me": a timer in a minute and one in an hour."""

    def __init__(self) -> None:
        self.fired: list[str] = []

    @hookimpl
    async def message_received(self, bot, message) -> None:
        if message.text == "remind me":
            conversation = await bot.conversation()
            conversation.schedule("nudge", delay=60)
            conversation.schedule("later", delay=3600)

    @hookimpl
    def timer_fired(self, timer) -> None:
        self.fired.append(timer.name)


def story_plugins() -> dict:
    return {"echo": Echo(), "crm": Crm(), "reminder": Reminder()}


STORY_SETTINGS = {"dispatch": {"max_attempts": 2}}


@dataclass
class Told:
    """What the story left behind: the wamids of the bot's messages, in order."""

    wamids: list[str] = field(default_factory=list)


async def tell_story(bot, graph, clock) -> Told:
    """The story, through signed webhooks; ``clock`` is the bot's ManualClock."""
    told = Told()

    async def say(text: str, **options) -> None:
        await bot.post(payloads.text_message(text, name=NAME, **options))
        await bot.settle()

    await say("hello")
    await graph.wait_for_messages(1)
    told.wamids.append(_last_wamid(bot))
    for status in ("sent", "delivered", "read"):
        await bot.post(payloads.status(told.wamids[0], status))
    await say("flaky")
    await say(XSS_TEXT)
    await say("remind me")
    await bot.post(payloads.status("wamid.elsewhere", "failed",
                                   errors=[payloads.error_object(131049, "Ecosystem")]))
    await bot.settle()
    now = clock()
    await apply_handoff(bot.bot.conversations, "test:take", CONVERSATION,
                        ModeChange("human", by="agent-7", reason="VIP"), now)
    await say("anyone there?")
    await apply_handoff(bot.bot.conversations, "test:back", CONVERSATION,
                        ModeChange("bot", by="agent-7"), clock())
    await bot.settle()
    clock.advance(61)
    await bot.settle()
    return told


def _last_wamid(bot) -> str:
    from botkit.timeline import customer_timeline

    timeline = customer_timeline(bot.settings.store.url, CUSTOMER)
    return [e for e in timeline.entries if e.kind == "outbound"][-1].wamid


def outline(timeline) -> list[tuple]:
    """The timeline without times and ids: what two stores must agree on."""
    rows = []
    for e in timeline.entries:
        if e.kind == "inbound":
            rows.append(("inbound", e.text, e.state,
                         tuple((d.plugin, d.outcome, d.attempts) for d in e.deliveries)))
        elif e.kind == "outbound":
            rows.append(("outbound", e.plugin, e.summary, e.status,
                         tuple(s.status for s in e.statuses)))
        elif e.kind == "status":
            rows.append(("status", e.wamid, tuple((s.status, s.error_codes)
                                                  for s in e.statuses)))
        elif e.kind == "handoff":
            rows.append(("handoff", e.action, e.by, e.reason))
        else:
            rows.append(("timer", e.plugin, e.name, e.state))
    return rows


EXPECTED_OUTLINE = [
    ("inbound", "hello", "done", ()),
    ("outbound", "botkit.reply", "echo hello", "sent", ("sent", "delivered", "read")),
    ("inbound", "flaky", "done", (("botkit.reply", "done", 1), ("crm", "retried", 2),
                                  ("reminder", "done", 1))),
    ("outbound", "botkit.reply", "echo flaky", "sent", ()),
    ("inbound", XSS_TEXT, "dead", (("botkit.reply", "done", 1), ("crm", "dead", 2),
                                   ("reminder", "done", 1))),
    ("outbound", "botkit.reply", f"echo {XSS_TEXT}", "sent", ()),
    ("inbound", "remind me", "done", ()),
    ("outbound", "botkit.reply", "echo remind me", "sent", ()),
    ("status", "wamid.elsewhere", (("failed", (131049,)),)),
    ("handoff", "started", "agent-7", "VIP"),
    ("inbound", "anyone there?", "done", ()),
    ("outbound", "botkit.reply", "echo anyone there?", "suppressed", ()),
    ("handoff", "ended", "agent-7", None),
    ("timer", "reminder", "nudge", "fired"),
    ("timer", "reminder", "later", "pending"),
]
