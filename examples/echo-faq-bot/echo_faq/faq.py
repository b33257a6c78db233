"""The FAQ: its settings, and the list menu and answer messages built from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROW_PREFIX = "faq:"
HELPFUL_PREFIX = "helpful:"
MENU_BUTTON_ID = "menu"


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    description: str | None
    answer: str


@dataclass(frozen=True)
class Faq:
    """The validated [plugins.echo-faq] table."""

    questions: tuple[Question, ...]
    greeting: str = "Hi {name}! Pick a question and I'll answer right away."
    menu_words: frozenset[str] = frozenset({"menu", "faq", "help"})
    echo: bool = True
    echo_prefix: str = "You said: "

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Faq:
        """The schema checked each value; what it cannot check (unique ids) is checked here."""
        questions = tuple(Question(q["id"], q["title"], q.get("description"), q["answer"])
                          for q in table["faq"])
        seen: set[str] = set()
        for index, question in enumerate(questions):
            if question.id in seen:
                raise ValueError(f"plugins.echo-faq.faq[{index}].id: {question.id!r} is used "
                                 "by an earlier question")
            seen.add(question.id)
        words = table.get("menu_words")
        return cls(
            questions=questions,
            greeting=table.get("greeting", cls.greeting),
            menu_words=frozenset(w.lower() for w in words) if words is not None
            else cls.menu_words,
            echo=table.get("echo", cls.echo),
            echo_prefix=table.get("echo_prefix", cls.echo_prefix),
        )

    def question(self, reply_id: str | None, prefix: str) -> Question | None:
        """The question a tapped row or button id (``<prefix><question id>``) points at."""
        if not reply_id or not reply_id.startswith(prefix):
            return None
        wanted = reply_id.removeprefix(prefix)
        return next((q for q in self.questions if q.id == wanted), None)

    def menu(self, name: str) -> dict[str, Any]:
        """The list message: one row per question."""
        rows = []
        for q in self.questions:
            row = {"id": ROW_PREFIX + q.id, "title": q.title}
            if q.description:
                row["description"] = q.description
            rows.append(row)
        return {"type": "interactive", "interactive": {
            "type": "list",
            "body": {"text": self.greeting.replace("{name}", name)},
            "action": {"button": "Questions", "sections": [{"title": "FAQ", "rows": rows}]},
        }}

    @staticmethod
    def answer(question: Question) -> dict[str, Any]:
        """The answer, with buttons to say it helped or to see the other questions."""
        buttons = [(HELPFUL_PREFIX + question.id, "That helped"),
                   (MENU_BUTTON_ID, "Other questions")]
        return {"type": "interactive", "interactive": {
            "type": "button",
            "body": {"text": question.answer},
            "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}}
                                   for i, t in buttons]},
        }}
