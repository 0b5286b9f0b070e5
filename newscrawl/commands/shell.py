"""`scrapy shell` that writes nothing and records nothing (see LookOnly)."""
from scrapy.commands.shell import Command as ScrapyShellCommand

from newscrawl.commands import LookOnly


class Command(LookOnly, ScrapyShellCommand):
    pass
