"""Benchmark harness for the botkit webhook receiver and its peers (see bench/README.md)."""
