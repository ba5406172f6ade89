"""Research mode: consented, pseudonymised feed-composition records, exports and audits."""
