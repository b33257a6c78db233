"""The conversations documentation shows code that works: the reminder plugin runs as written,
the kit test written for it passes, and the order-bot excerpts are the example's own code."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONVERSATIONS = REPO / "docs" / "conversations.md"
WRITING_PLUGINS = REPO / "docs" / "writing-plugins.md"
DIALOG = REPO / "examples" / "order-bot" / "order_bot" / "dialog.py"


def python_blocks(doc: Path, section: str) -> list[str]:
    """The ```python blocks of the ``## section`` of ``doc``, in order."""
    text = doc.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


async def test_the_reminder_example_and_its_kit_test_work_as_documented(installed_plugin,
                                                                        bot_conversation):
    [plugin, *_] = python_blocks(CONVERSATIONS, "A first example")
    installed_plugin("reminder", plugin)
    [test_source] = python_blocks(WRITING_PLUGINS, "Conversations that survive restarts")
    namespace: dict = {}
    exec(compile(test_source, str(WRITING_PLUGINS), "exec"), namespace)
    await namespace["test_the_reminder_comes_an_hour_later"](bot_conversation)


async def test_never_mind_cancels_the_reminder(installed_plugin, bot_conversation):
    from botkit.testing.harness import ManualClock

    [plugin, *_] = python_blocks(CONVERSATIONS, "A first example")
    installed_plugin("reminder", plugin)
    chat = await bot_conversation(enabled_plugins=["reminder"], clock=ManualClock())
    await chat.send_text("remind me")
    await chat.send_text(" Never mind")
    await chat.advance(2 * 3600)
    assert await chat.reply_texts() == ["I'll remind you in an hour.", "No reminder, then."]


def test_the_order_bot_excerpts_are_its_code():
    code = DIALOG.read_text(encoding="utf-8")
    excerpts = python_blocks(CONVERSATIONS, "Worked example: the order-bot")
    assert len(excerpts) == 4
    for excerpt in excerpts:
        assert excerpt in code, excerpt
