"""Building blocks shared by every service: validated settings, lazy AWS clients, base models."""
