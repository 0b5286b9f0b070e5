"""What runs exported: the stores (SQLite, Redis), when to revisit, and the one place dedup asks (ArticleState)."""
