"""Reading the SAM template: the single source of truth for resources, settings and policies."""
