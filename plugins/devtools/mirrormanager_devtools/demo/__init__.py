"""``mirrormanager demo``: the whole system end to end on loopback."""
