"""The ledger: payments, vouchers, BgMax, SIE, VAT."""
