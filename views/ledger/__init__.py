"""The ledger's screens: chart of accounts, vouchers, manual vouchers, balances, period lock."""
