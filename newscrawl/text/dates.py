"""Indonesian dates to ISO 8601 with their offset: JSON-LD and meta times, and what a reader
sees ("Jumat, 19 Juni 2015 12:58 WIB"), with the network's zones. Every parse is total: a
date that cannot be read, or cannot exist, is None."""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone

from dateutil import parser as du_parser

from newscrawl.text.normalize import clean_text

WIB = timezone(timedelta(hours=7))
ZONES = {"WIB": 7 * 3600, "WITA": 8 * 3600, "WIT": 9 * 3600}


class IndonesianParserInfo(du_parser.parserinfo):
    """dateutil names for Indonesian weekdays, months (with old spellings) and zones."""

    WEEKDAYS = [("Sen", "Senin"), ("Sel", "Selasa"), ("Rab", "Rabu"), ("Kam", "Kamis"),
                ("Jum", "Jumat"), ("Sab", "Sabtu"), ("Min", "Minggu", "Ahad")]
    MONTHS = [("Jan", "Januari"), ("Feb", "Peb", "Februari", "Pebruari"), ("Mar", "Maret"),
              ("Apr", "April"), ("Mei",), ("Jun", "Juni"), ("Jul", "Juli"),
              ("Agu", "Agt", "Ags", "Agustus"), ("Sep", "Sept", "September"),
              ("Okt", "Oktober"), ("Nov", "Nop", "November", "Nopember"),
              ("Des", "Desember")]
    JUMP = du_parser.parserinfo.JUMP + ["pukul", "pkl", "jam"]

    def __init__(self) -> None:
        super().__init__(dayfirst=True)


_PARSERINFO = IndonesianParserInfo()
_LABEL = re.compile(r"^\s*(tayang|diperbarui|update[d]?|dipublikasikan|published)\s*:?\s*", re.I)
_SENTINEL = datetime(1, 1, 1)


# The years a date may have: the web's news, with room; anything else is a placeholder
# (0001-01-01, 9999-12-31) that would also overflow readers' timestamps.
YEARS = (1900, 2100)


def parse_date(text: str | None, default_tz: timezone | None = None) -> str | None:
    """ISO 8601 with offset from an ISO string or an Indonesian visible date.

    A time without a zone takes ``default_tz``; without one it is not guessed (None).

    >>> parse_date("Senin, 4 Mei 2020 04:25 WIB")
    '2020-05-04T04:25:00+07:00'
    >>> parse_date("Jum'at, 7 Pebruari 2020 13:05 WITA")
    '2020-02-07T13:05:00+08:00'
    >>> parse_date("Tayang: Kamis, 3 Agt 2023 19:26 WIT")
    '2023-08-03T19:26:00+09:00'
    >>> parse_date("2020-05-04T04:25:13+07:00")
    '2020-05-04T04:25:13+07:00'
    >>> parse_date("2026-07-24T12:40+07:00")
    '2026-07-24T12:40:00+07:00'
    >>> parse_date("2020-05-04 04:25:13", default_tz=WIB)
    '2020-05-04T04:25:13+07:00'
    >>> parse_date("2020-05-04 04:25:13") is None
    True
    >>> parse_date("kemarin sore") is None
    True
    >>> parse_date("2024-05-01", default_tz=WIB), parse_date("2020-05-04T04:25:13+25:00")
    ('2024-05-01T00:00:00+07:00', None)
    >>> parse_date("0001-01-01T00:00:00+07:00"), parse_date("9999-12-31T23:59:59-12:00")  # out of YEARS
    (None, None)
    """
    text = clean_text(text)
    if not text:
        return None
    parsed = _parse_iso(text) or _parse_visible(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        if default_tz is None:
            return None
        parsed = parsed.replace(tzinfo=default_tz)
    try:
        # An offset of a day or more (+25:00) cannot exist: datetime raises on it here.
        parsed.utcoffset()
        if not YEARS[0] <= parsed.astimezone(timezone.utc).year <= YEARS[1]:
            return None  # a CMS default (0001-01-01), a typo: no news article's date
        return parsed.isoformat()
    except (ValueError, OverflowError):
        return None


def _parse_iso(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_MONTH_NUMBER = {name.lower(): n for n, names in enumerate(IndonesianParserInfo.MONTHS, 1) for name in names}
# The visible form of nearly every page ("Jumat, 19 Juni 2015 12:58 WIB"), read without
# dateutil (a fifth of the extraction time of a page without JSON-LD); anything else goes
# to dateutil.
_COMMON_VISIBLE = re.compile(r"(?:[A-Za-z']+,\s*)?(\d{1,2})\s+([A-Za-z]+)\s+(\d{4}),?\s+(\d{1,2})[:.](\d{2})"
                             r"(?:\s+(WIB|WITA|WIT))?")


def _parse_common(text: str) -> datetime | None:
    """The common visible form, or None (then dateutil tries).

    >>> _parse_common("Jumat, 19 Juni 2015 12:58 WIB"), _parse_common("4 Mei 2020 04.25")
    (datetime.datetime(2015, 6, 19, 12, 58, tzinfo=datetime.timezone(datetime.timedelta(seconds=25200))), datetime.datetime(2020, 5, 4, 4, 25))
    """
    match = _COMMON_VISIBLE.fullmatch(text)
    if match is None or (month := _MONTH_NUMBER.get(match.group(2).lower())) is None or match.group(3) == "0001":
        return None
    day, year, hour, minute, zone = int(match.group(1)), int(match.group(3)), int(match.group(4)), \
        int(match.group(5)), match.group(6)
    try:
        return datetime(year, month, day, hour, minute,
                        tzinfo=timezone(timedelta(seconds=ZONES[zone])) if zone else None)
    except ValueError:
        return None


def _parse_visible(text: str) -> datetime | None:
    text = _LABEL.sub("", text).replace("Jum'at", "Jumat").replace("Jum’at", "Jumat")
    if (common := _parse_common(text.strip())) is not None:
        return common
    try:
        with warnings.catch_warnings():
            # A word taken for an unknown zone ("ZGMT") leaves the time zone-less: None below.
            warnings.simplefilter("ignore", du_parser.UnknownTimezoneWarning)
            parsed = du_parser.parse(text, parserinfo=_PARSERINFO, tzinfos=ZONES, default=_SENTINEL)
    except (ValueError, OverflowError, du_parser.ParserError):
        return None
    if parsed.year == 1:
        return None
    return parsed


def epoch_seconds(iso: str | None) -> int | None:
    """Seconds since the epoch of an ISO 8601 time with offset (None without one).

    >>> epoch_seconds("2020-05-04T08:00:00+07:00"), epoch_seconds(None)
    (1588554000, None)
    """
    try:
        moment = datetime.fromisoformat(iso) if iso else None
        return int(moment.timestamp()) if moment is not None and moment.tzinfo is not None else None
    except (ValueError, OverflowError, TypeError):
        return None  # no such moment (year 1 less an offset, a bad string): unknown
