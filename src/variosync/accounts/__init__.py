"""Accounts: built-in users with argon2 passwords, login sessions, API keys, Supabase sign-in,
the hour ledger and the audit log, over the catalog database."""

from variosync.accounts.service import Accounts, Principal

__all__ = ["Accounts", "Principal"]
