"""Measurement tools: search quality (`evaluate`), latency (`latency`), load (`load`), and the servers they start."""
