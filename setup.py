"""Packaging for Scrapyd only: ``scrapyd-deploy`` builds the project's egg from this file.

Crawling needs none of it (README "Running on Scrapyd"). The egg holds the ``newscrawl``
package and nothing else: not the tests, not the benchmarks.
"""
import re
from pathlib import Path

from setuptools import find_packages, setup

# The version is said once, in newscrawl/network/identity.py (the User-Agent carries it).
VERSION = re.search(r'__version__ = "([^"]+)"', (Path(__file__).parent / "newscrawl/network/identity.py").read_text())[1]

setup(
    name="newscrawl",
    version=VERSION,
    packages=find_packages(include=["newscrawl", "newscrawl.*"]),
    entry_points={"scrapy": ["settings = newscrawl.settings"]},
    python_requires=">=3.11",
    zip_safe=False,
)
