"""Parents and minors: locked profiles, time budgets, curfew, per-device profiles."""
