"""Delivery machinery that keeps one user from slowing the others: the update processor,
per-person throttling, the worker pool for file work and the pacer for outgoing messages."""
