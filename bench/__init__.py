"""Benchmarks for the inbox's latency targets; run with ``python -m bench`` (prints, asserts nothing).

A real bot (the Bolt app and the Meta webhook endpoint behind waitress, the relay thread, a fresh
database) talks to the loopback fakes of Slack, the Graph API and X, as the test-suite's harness
does. Nothing leaves 127.0.0.1.
"""
