"""docs/media.md stays true: its settings are the ones botkit reads and its examples run as
written, in a bot that keeps media."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest
from media_kit import PDF, media_message, put_media_target_first, settings_with_media, sha256_of

from botkit.testing.harness import BotRunner

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "media.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE, re.DOTALL)


@pytest.fixture
def guide(monkeypatch) -> types.ModuleType:
    """The guide's Python blocks run in order as one module."""
    module = types.ModuleType("media_guide")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for block in blocks("python"):
        exec(compile(block, "docs/media.md", "exec", dont_inherit=True), vars(module))
    return module


def test_the_settings_example_is_what_botkit_reads(tmp_path):
    [example] = blocks("toml")
    table = tomllib.loads(example)["media"]
    assert table == {"keep": True}
    settings = settings_with_media(tmp_path, table)
    assert settings.media.keep is True and settings.media.folder is None
    assert settings.media.max_bytes == 104857600 == int(
        re.search(r"# max_bytes = (\d+)", example)[1])


async def test_the_examples_answer_in_a_running_bot(guide, tmp_path, fake_graph, monkeypatch,
                                                    caplog):
    put_media_target_first(monkeypatch)
    caplog.set_level(logging.INFO, logger="botkit")
    fake_graph.add_media("3301", PDF, "application/pdf")
    fake_graph.add_media("3302", PDF, "application/pdf")
    settings = settings_with_media(tmp_path, {"keep": True},
                                   whatsapp={"graph_url": fake_graph.url},
                                   dispatch={"max_attempts": 1},
                                   enabled_plugins=["logger", "archive"])
    plugins: dict[str, Any] = {"logger": guide, "archive": guide.router}
    async with BotRunner(settings, extra_plugins=plugins) as runner:
        await runner.post(media_message("document", "3301", PDF, "application/pdf",
                                        filename="invoice.pdf"))
        await runner.post(media_message("document", "3302", PDF, "application/pdf",
                                        sha256=sha256_of(b"not this one")))
        await runner.settle()
    first, second = (m["text"]["body"] for m in fake_graph.sent_messages())
    assert first == f"Got it: {len(PDF) // 1024} KB, filed under " \
                    f"{hashlib.sha256(PDF).hexdigest()[:12]}."
    assert second == "Sorry, we could not receive your document. Could you send it again?"
    assert f"kept document: application/pdf, {len(PDF)} bytes" in caplog.text
