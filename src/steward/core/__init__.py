"""Tenancy, accounts, roles, scoping and the audit trail: the base every module stands on."""
