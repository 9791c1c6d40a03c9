"""Bookings: loaner, rental and test-drive vehicles on the calendar."""
