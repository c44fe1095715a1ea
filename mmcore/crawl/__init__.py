"""The crawler: which mirrors are up to date (engine, protocols contract, storage contract)."""
