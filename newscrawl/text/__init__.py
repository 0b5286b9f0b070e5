"""Text: cleaning rules, Indonesian dates, and the SimHash of syndicated copies (pure functions)."""
