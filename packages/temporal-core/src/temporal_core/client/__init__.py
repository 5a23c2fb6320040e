"""Talking to Temporal: settings, the shared client service, the payload converter and codec."""
