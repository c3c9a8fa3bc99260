"""Payment service: collects the catalog price of a booking and refunds it when the saga compensates."""
