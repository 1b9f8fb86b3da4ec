"""Every command's output: the reporter registry and the formatters."""
