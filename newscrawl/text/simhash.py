"""Near-duplicate bodies: 64-bit SimHash of word shingles, and an index to find close ones.

The network republishes one story on several sites; copies differ by a dateline, a
byline or a closing note, so their SimHashes differ by a few bits. Four 16-bit bands
find every hash within 3 bits (pigeonhole: at least one band is equal).
"""
from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass
from typing import Iterable

BANDS = 4
BAND_BITS = 64 // BANDS
_WORD = re.compile(r"\w+")
# "TRIBUNNEWS.COM, JAKARTA - " / "SURYA.CO.ID - ": the one line syndicated copies change.
_DATELINE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]*(?:\.[A-Z]{2,})+(?:\s*,\s*[A-Z][A-Z .\-]*)?\s*[-–—]\s*")


def simhash(text: str, shingle: int = 3) -> int:
    """Unsigned 64-bit SimHash of the text's word ``shingle``-grams (case folded).

    A leading brand dateline is left out: it is what a syndicated copy changes.

    >>> simhash("TRIBUNNEWS.COM, JAKARTA - Hujan deras") == simhash("SURYA.CO.ID, JAKARTA - Hujan deras")
    True

    >>> a = simhash("Banjir merendam ratusan rumah di tiga desa di Kabupaten Kudus pada Senin pagi")
    >>> b = simhash("Banjir merendam ratusan rumah di tiga desa di Kabupaten Kudus pada Senin sore")
    >>> hamming(a, b) < hamming(a, simhash("Harga emas Antam naik tiga ribu rupiah per gram hari ini"))
    True
    """
    words = _WORD.findall(_DATELINE.sub("", text).casefold())
    grams = {" ".join(words[i:i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
    return _simhash_of_digests([_digest(g) for g in grams])


def _digest(gram: str) -> bytes:
    return hashlib.blake2b(gram.encode(), digest_size=8).digest()


def _simhash_of_digests(digests: list[bytes]) -> int:
    """Majority vote of each bit over the 64-bit digests.

    All digests become one bit string (64 characters per digest, in C); bit column i is
    then every 64th character from i, and str.count tallies it, also in C.
    """
    bits = format(int.from_bytes(b"".join(digests), "big"), f"0{64 * len(digests)}b")
    threshold = len(digests) / 2
    return int("".join("1" if bits[i::64].count("1") > threshold else "0" for i in range(64)), 2)


def hamming(a: int, b: int) -> int:
    """Number of differing bits.

    >>> hamming(0b1011, 0b0001)
    2
    """
    return (a ^ b).bit_count()


def bands(value: int) -> list[int]:
    """The band keys of a hash: band number in the high bits, band value in the low 16.

    >>> bands(0x0001000200030004)
    [4, 65539, 131074, 196609]
    """
    mask = (1 << BAND_BITS) - 1
    return [(i << BAND_BITS) | ((value >> (BAND_BITS * i)) & mask) for i in range(BANDS)]


UNKNOWN = 1 << 62  # publication time of a body whose date is unknown: after every known one


@dataclass(frozen=True)
class Copy:
    """An indexed body: its URL and publication time (epoch seconds, UNKNOWN if none)."""

    url: str
    published: int = UNKNOWN


def earliest(matches: Iterable[Copy]) -> Copy | None:
    """The earliest-published of the matches (the first given among equals), or None."""
    return min(matches, key=lambda match: match.published, default=None)


class NearDuplicateIndex:
    """In-memory index of (simhash, URL, publication time) for the bodies of one run.

    Compact, since a backfill holds every article of the run: per band a 65536-slot
    table of chain heads, and per article its hash, time, URL and one chain link per
    band (about 40 bytes plus the URL, instead of four dict entries and tuples).

    >>> index = NearDuplicateIndex()
    >>> index.add(0xF0F0_1234_ABCD_0001, "https://a.tribunnews.com/2020/01/01/a", 1588550400)
    >>> index.find(0xF0F0_1234_ABCD_0007, 3)
    Copy(url='https://a.tribunnews.com/2020/01/01/a', published=1588550400)
    >>> index.find(0x0F0F_0000_0000_0000, 3) is None
    True
    """

    def __init__(self) -> None:
        self._heads = [array("i", [-1]) * (1 << BAND_BITS) for _ in range(BANDS)]
        self._next = [array("i") for _ in range(BANDS)]
        self._hashes = array("Q")
        self._published = array("q")
        self._urls: list[str] = []

    def find(self, value: int, max_distance: int) -> Copy | None:
        """The earliest-published indexed body within ``max_distance`` bits, or None."""
        mask = (1 << BAND_BITS) - 1
        found: set[int] = set()
        for band in range(BANDS):
            position = self._heads[band][(value >> (BAND_BITS * band)) & mask]
            while position >= 0:
                if position not in found and hamming(value, self._hashes[position]) <= max_distance:
                    found.add(position)
                position = self._next[band][position]
        return earliest(Copy(self._urls[p], self._published[p]) for p in sorted(found))

    def add(self, value: int, url: str, published: int | None = None) -> None:
        mask = (1 << BAND_BITS) - 1
        position = len(self._hashes)
        self._hashes.append(value)
        self._published.append(UNKNOWN if published is None else published)
        self._urls.append(url)
        for band in range(BANDS):
            slot = (value >> (BAND_BITS * band)) & mask
            self._next[band].append(self._heads[band][slot])
            self._heads[band][slot] = position
