"""Spiders: navigation only; extraction lives in newscrawl.pages."""
