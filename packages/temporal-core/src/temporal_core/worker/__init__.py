"""Running workers: build one per queue, run them in a process, report health, drain, serve."""
