"""Ledger documents: reminders (påminnelser), the VAT report and the daily sales report (PDF, XLSX)."""
