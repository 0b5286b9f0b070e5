"""A run as cron sees it: the lock and claims, the verdict and report, template drift, progress, the stats file."""
