"""The JSON lines file: one line per status update, appended in the order they are recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any


class Journal:
    """An append-only file; each line is flushed as it is written."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise OSError(f"cannot open the status log {self.path}: {exc.strerror}") from exc

    def write(self, line: dict[str, Any]) -> None:
        if self._file is None:
            raise RuntimeError("the status log is not open")
        self._file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
