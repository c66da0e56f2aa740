"""Coordinator alerts: registry, digests with findings and move notices, SMTP and outbox."""
