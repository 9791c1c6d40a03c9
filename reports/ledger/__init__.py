"""Ledger documents: reminders (påminnelser)."""
