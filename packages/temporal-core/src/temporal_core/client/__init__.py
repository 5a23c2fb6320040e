"""Talking to Temporal: settings, the shared client service and the payload converter."""
