"""The delivery funnel as bars: one chart per business number, drawn on the server.

Each bar is a share of the messages the number sent (the longest possible bar), so numbers of
very different volume can be compared at a glance; the count and the share are written beside
each bar, and a failed bar is shown per error code.
"""

from __future__ import annotations

from typing import Any

from botkit.timeline import NumberFunnel

FUNNEL_SECONDS = 24 * 3600  # the overview's funnel covers statuses of the last day
ROW = 22
LABEL_WIDTH = 150
BAR_SPACE = 360


def funnel_chart(funnel: NumberFunnel) -> dict[str, Any]:
    """Rows of a horizontal bar chart (geometry in the SVG's units) and its height."""
    steps: list[tuple[str, str, int]] = [("sent", "sent", funnel.sent),
                                         ("delivered", "delivered", funnel.delivered),
                                         ("read", "read", funnel.read)]
    steps += [(f"failed {'?' if code is None else code}", "failed", count)
              for code, count in funnel.failed]
    if not funnel.failed:
        steps.append(("failed", "failed", 0))
    top = max(1, funnel.messages)
    rows = []
    for i, (label, step, value) in enumerate(steps):
        width = round(BAR_SPACE * value / top, 2)
        share = round(100 * value / top)
        rows.append({"label": label, "step": step, "value": value, "share": share,
                     "y": i * ROW, "text_y": i * ROW + 15, "x": LABEL_WIDTH, "w": width,
                     "value_x": round(LABEL_WIDTH + width + 8, 2),
                     "title": f"{label}: {value} of {funnel.messages} messages ({share}%)"})
    return {"number": funnel.number, "display": funnel.display, "messages": funnel.messages,
            "rows": rows, "height": len(rows) * ROW + 4}
