"""Command-line plumbing the services share: ``serve`` dispatch, process exit, stop signals."""
