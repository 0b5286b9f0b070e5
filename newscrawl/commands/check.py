"""`scrapy check` that writes nothing and records nothing (see LookOnly)."""
from scrapy.commands.check import Command as ScrapyCheckCommand

from newscrawl.commands import LookOnly


class Command(LookOnly, ScrapyCheckCommand):
    pass
