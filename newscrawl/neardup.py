"""Near-duplicate bodies: 64-bit SimHash of word shingles, and an index to find close ones.

The network republishes one story on several sites; copies differ by a dateline, a
byline or a closing note, so their SimHashes differ by a few bits. Four 16-bit bands
find every hash within 3 bits (pigeonhole: at least one band is equal).
"""
from __future__ import annotations

import hashlib
import re
from array import array

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


class NearDuplicateIndex:
    """In-memory index of (simhash, first-seen URL) for the bodies of one run.

    Compact, since a backfill holds every article of the run: per band a 65536-slot
    table of chain heads, and per article its hash, its URL and one chain link per band
    (about 30 bytes plus the URL, instead of four dict entries and tuples).

    >>> index = NearDuplicateIndex()
    >>> index.add(0xF0F0_1234_ABCD_0001, "https://a.tribunnews.com/2020/01/01/a")
    >>> index.find(0xF0F0_1234_ABCD_0007, 3)
    'https://a.tribunnews.com/2020/01/01/a'
    >>> index.find(0x0F0F_0000_0000_0000, 3) is None
    True
    """

    def __init__(self) -> None:
        self._heads = [array("i", [-1]) * (1 << BAND_BITS) for _ in range(BANDS)]
        self._next = [array("i") for _ in range(BANDS)]
        self._hashes = array("Q")
        self._urls: list[str] = []

    def find(self, value: int, max_distance: int) -> str | None:
        """The URL of an indexed hash within ``max_distance`` bits, or None."""
        mask = (1 << BAND_BITS) - 1
        for band in range(BANDS):
            position = self._heads[band][(value >> (BAND_BITS * band)) & mask]
            while position >= 0:
                if hamming(value, self._hashes[position]) <= max_distance:
                    return self._urls[position]
                position = self._next[band][position]
        return None

    def add(self, value: int, url: str) -> None:
        mask = (1 << BAND_BITS) - 1
        position = len(self._hashes)
        self._hashes.append(value)
        self._urls.append(url)
        for band in range(BANDS):
            slot = (value >> (BAND_BITS * band)) & mask
            self._next[band].append(self._heads[band][slot])
            self._heads[band][slot] = position
