"""The ledger: payments, vouchers, BgMax, SIE, VAT.

Chart of accounts, financial years, the period lock and vouchers: every path that books calls
services.ledger.vouchers.book_voucher, which checks the period with check_open; the account
mapping of automatic vouchers is services.ledger.accounts.ACCOUNT_MAP."""
from services import DomainError


class LedgerError(DomainError):
    """A booking refused: unbalanced, an unknown or inactive account, a locked period, ..."""
