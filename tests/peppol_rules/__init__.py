"""The official Peppol rules (see README.md); ``from tests.peppol_rules import validate``."""
