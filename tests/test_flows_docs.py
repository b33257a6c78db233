"""The examples of docs/flows.md run, in order, as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "flows.md"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), re.MULTILINE | re.DOTALL)


async def test_every_python_example_in_the_flows_page_runs():
    blocks = python_blocks()
    assert len(blocks) >= 8
    namespace: dict = {"__name__": "flows_doc"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    await namespace["test_booking_flow"]()
    assert namespace["endpoint"].handlers is namespace["everything"]
