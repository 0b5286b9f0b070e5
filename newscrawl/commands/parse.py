"""`scrapy parse` that writes nothing and records nothing (see LookOnly)."""
from scrapy.commands.parse import Command as ScrapyParseCommand

from newscrawl.commands import LookOnly


class Command(LookOnly, ScrapyParseCommand):
    pass
