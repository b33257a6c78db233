"""Running botkit as a process: the ASGI servers, the dispatch-only worker, the shared
start-up and shut-down order, and signal handling."""
