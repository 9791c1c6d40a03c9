"""The ledger's screens: chart of accounts, vouchers, manual vouchers, balances, period lock
(ledger.py), the reports (reports.py: SIE export, ...) and the BgMax import (bgmax.py)."""
