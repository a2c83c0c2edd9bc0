"""The golden trees are data, not tests: pytest must not collect their tests/ folders."""
collect_ignore = ["input", "expected"]
