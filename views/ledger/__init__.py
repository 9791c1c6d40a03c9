"""The ledger's screens: chart of accounts, vouchers, manual vouchers, balances, period lock
(ledger.py) and the reports (reports.py: SIE export, ...)."""
