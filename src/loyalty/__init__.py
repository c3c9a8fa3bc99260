"""Loyalty service: credits points for confirmed bookings and reports a customer's tier."""
