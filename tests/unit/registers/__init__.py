"""Registers: customers, vehicles, articles, settings registers, the low-code configuration."""
