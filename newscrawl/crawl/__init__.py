"""The crawl's own state: its -a arguments, its listing budget, articles being assembled, findable extensions."""
