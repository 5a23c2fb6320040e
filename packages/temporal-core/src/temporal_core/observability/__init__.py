"""Logs and traces: one log format per process and OpenTelemetry across HTTP and Temporal."""
