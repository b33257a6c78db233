"""The timeline reader for a store URL.

Kept apart from the reader's interface so that the readers import the interface and only this
module imports the readers; a reader's module is imported when its store is in use, so a
SQLite deployment never loads the Redis client.
"""

from __future__ import annotations

from botkit.errors import StoreError
from botkit.timeline.reader import TimelineReader


def open_reader(url: str) -> TimelineReader:
    """The reader for a store URL (raises StoreError when the store cannot be read)."""
    if url.startswith("sqlite:"):
        from botkit.timeline.sqlite import SQLiteTimelineReader

        return SQLiteTimelineReader(url)
    if url.startswith(("redis:", "rediss:")):
        from botkit.timeline.redis import RedisTimelineReader

        return RedisTimelineReader(url)
    raise StoreError(f"unsupported store URL scheme {url.partition(':')[0]!r}: "
                     "use sqlite:// or redis://")
