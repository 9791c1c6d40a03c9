"""Sales: quotes, orders, invoices, credit notes, pricing, the outbox."""
