"""The FAQ: its settings, and the list menu and answer messages built from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit import SettingsError

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
    """The [plugins.echo-faq] table, typed; botkit has checked it against the schema and filled
    in the defaults."""

    questions: tuple[Question, ...]
    greeting: str
    menu_words: frozenset[str]
    echo: bool
    echo_prefix: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Faq:
        """From ``bot.config("echo-faq")``; what the schema cannot check (unique ids) is checked
        here and raised as :class:`botkit.SettingsError`."""
        questions = tuple(Question(q["id"], q["title"], q.get("description"), q["answer"])
                          for q in config["faq"])
        seen: set[str] = set()
        problems = []
        for index, question in enumerate(questions):
            if question.id in seen:
                problems.append(f"plugins.echo-faq.faq[{index}].id: {question.id!r} is used "
                                "by an earlier question")
            seen.add(question.id)
        if problems:
            raise SettingsError(problems)
        return cls(
            questions=questions,
            greeting=str(config["greeting"]),
            menu_words=frozenset(word.lower() for word in config["menu_words"]),
            echo=bool(config["echo"]),
            echo_prefix=str(config["echo_prefix"]),
        )

    def find(self, question_id: str) -> Question | None:
        """The question with this id (from a tapped row or button), if it is still there."""
        return next((q for q in self.questions if q.id == question_id), None)

    def menu(self, name: str) -> dict[str, Any]:
        """The list message: one row per question."""
        rows = []
        for q in self.questions:
            row: dict[str, str] = {"id": ROW_PREFIX + q.id, "title": q.title}
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
