"""Devices: enrollment, agent check-in ingest, inventory, change history, metrics, groups."""
