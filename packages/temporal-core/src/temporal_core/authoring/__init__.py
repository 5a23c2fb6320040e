"""Writing workflows and activities: the typed base workflow, the queue registry, options."""
