"""Dispatch: claiming stored events, per-conversation queues, plugin retries and dead letters,
and the ledger bracket that keeps a reply from being sent twice."""
