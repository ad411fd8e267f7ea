"""Episodes: the briefs themselves, their content blocks and their state machine."""
