"""Durable conversations: per-plugin dialog state, timers, the 24-hour window and human handoff.

What a handler changes while it handles an event (state, timers, messages to send, handoff) is
committed in one step together with that plugin's delivery record, so a retried or redelivered
event never advances a conversation twice, and the messages are sent after the commit, each at
most once. See docs/conversations.md for the guarantee in full.
"""
