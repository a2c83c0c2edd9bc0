"""KeyboardInterrupt at import: the grader must report it and go on."""
raise KeyboardInterrupt
