"""One dataset from a folder of runs: typed Parquet partitioned by site and publication
month, the latest version of each article, with a card and a shareable URL list.

    python -m newscrawl.dataset output/tribun dataset/ [--all-versions] [--drop-copies] [--share]

- ``inputs``: which JSONL files, and which of them are new since the last build;
- ``scan``: the new files read once, in bounded memory, into sorted spill runs and a key table;
- ``build``: the winners (latest versions), the partitions they touch, written beside the old;
- ``folder``: the build written aside and swapped in whole, under a lock;
- ``card``: ``README.md`` and ``urls.csv``, written from the data.
"""
