"""docs/templates.md shows code that works: the plugin sends its checked template as the
fallback of a reply, the create example passes the local checks, the testing example runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from message_templates_kit import ORDER_CONFIRMATION, cached
from samples import payload_bytes

from botkit.message_templates import template_cache
from botkit.message_templates.local_check import check_definition

DOC = Path(__file__).resolve().parents[1] / "docs" / "templates.md"


def blocks(section: str, language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", body, flags=re.DOTALL)


async def test_the_sending_example_replies_with_its_checked_template(
        installed_plugin, botkit_runner_factory, fake_graph):
    [plugin] = blocks("Sending a template", "python")
    installed_plugin("orders", plugin)
    runner = await botkit_runner_factory(
        enabled_plugins=["orders"],
        whatsapp={"waba_id": "104996122399160", "graph_url": fake_graph.url})
    await (await template_cache(runner.bot)).put(cached(ORDER_CONFIRMATION))
    await runner.post(payload_bytes("message_text.json"))  # its window closed long ago
    await runner.settle()
    [sent] = fake_graph.sent_messages()
    template = sent["template"]
    assert template["name"] == "order_confirmation"
    assert template["components"][1]["parameters"][0] == {"type": "text", "text": "Priya Raman"}


def test_the_create_example_passes_the_local_checks():
    [document] = blocks("Managing templates", "json")
    assert check_definition(json.loads(document))["name"] == "order_followup"


def test_the_testing_example_runs():
    [example] = blocks("Testing", "python")
    namespace: dict = {}
    exec(compile(example, str(DOC), "exec"), namespace)
    [declared] = namespace["library"].templates("104996122399160")
    assert (declared["name"], declared["status"]) == ("order_shipped", "PAUSED")
