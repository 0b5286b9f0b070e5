"""Packaging for Scrapyd only: ``scrapyd-deploy`` builds the project's egg from this file.

Crawling needs none of it (README "Running on Scrapyd"). The egg holds the ``newscrawl``
package and nothing else: not the tests, not the benchmarks.
"""
from setuptools import find_packages, setup

setup(
    name="newscrawl",
    version="0.2",
    packages=find_packages(include=["newscrawl", "newscrawl.*"]),
    entry_points={"scrapy": ["settings = newscrawl.settings"]},
    python_requires=">=3.11",
    zip_safe=False,
)
