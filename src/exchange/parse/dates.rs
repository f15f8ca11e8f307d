//! Dates as PowerShell printed them. `Format-List` prints a `DateTime` with the session's
//! culture: `3/4/2026 1:53:00 PM` (en-US, month first), `04.03.2026 13:53:00` (de-DE, day
//! first), `04/03/2026 13:53:00` (en-GB, fr-FR: day first, 24 h). Raw `ConvertTo-Json` in
//! Windows PowerShell 5.1 writes `\/Date(ms)\/` (Microsoft Learn, "ConvertTo-Json", 5.1),
//! PowerShell 7 and the collection script write ISO 8601.
//!
//! A slash date whose both fields are ≤ 12 has two readings; the caller settles it with
//! evidence from the same output ([`Order`]) or keeps both ([`Date::Ambiguous`]). The clock
//! time carries no zone in `fl` text: it is taken as UTC (off by at most 14 hours).

use time::{Date as CalDate, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::exchange::model::Date;

/// A date as read, before the month/day order is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RawDate {
    /// One reading only (ISO, `\/Date()\/`, dots, dashes, year first, a field above 12).
    Known(OffsetDateTime),
    /// `a/b/yyyy`: `month_first` reads `a` as the month, `day_first` as the day; both valid
    /// and different.
    Slash {
        /// The month-first reading.
        month_first: OffsetDateTime,
        /// The day-first reading.
        day_first: OffsetDateTime,
        /// Printed with AM/PM (the en-US pattern, unless evidence says otherwise).
        am_pm: bool,
    },
}

/// How the slash dates of one output are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Order {
    /// Month first (en-US).
    MonthFirst,
    /// Day first (en-GB, fr-FR, en-AU ...).
    DayFirst,
    /// Nothing in the output says.
    #[default]
    Unknown,
}

/// The longest value worth trying to read as a date; anything longer is not one.
const MAX_DATE_LEN: usize = 64;

/// Reads `s` as a date, or `None` when it is not one this parser knows.
pub(super) fn parse(s: &str) -> Option<RawDate> {
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_DATE_LEN {
        return None;
    }
    if let Some(d) = ms_date(s) {
        return Some(RawDate::Known(d));
    }
    let (date_part, time_part) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let sep = date_part.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let fields: Vec<&str> = date_part.trim_end_matches('.').split(sep).collect();
    let [f1, f2, f3] = fields.as_slice() else {
        return None;
    };
    let nums = (number(f1)?, number(f2)?, number(f3)?);
    let year_first = f1.len() == 4;
    if !year_first && f3.len() != 4 {
        // Two-digit years (short patterns) are not what `fl` prints; do not guess a century.
        return None;
    }
    if year_first {
        let (time, offset) = time_and_offset(time_part, true)?;
        // The clock time is local to `offset`; the instant is that much earlier in UTC.
        let d = make(nums.0, nums.1, nums.2, time)?
            .checked_sub(Duration::seconds(i64::from(offset)))?;
        return Some(RawDate::Known(d));
    }
    let (time, _) = time_and_offset(time_part, false)?;
    let am_pm = has_designator(time_part);
    let year = nums.2;
    match sep {
        // Dots (de-DE, pl-PL, ru-RU ...) and dashes with the year last (nl-NL, da-DK, en-IN):
        // day first in every culture that prints them.
        '.' | '-' => make(year, nums.1, nums.0, time).map(RawDate::Known),
        _ => {
            let month_first = make(year, nums.0, nums.1, time);
            let day_first = make(year, nums.1, nums.0, time);
            match (month_first, day_first) {
                (Some(m), Some(d)) if m == d => Some(RawDate::Known(m)),
                (Some(m), Some(d)) => Some(RawDate::Slash {
                    month_first: m,
                    day_first: d,
                    am_pm,
                }),
                (Some(one), None) | (None, Some(one)) => Some(RawDate::Known(one)),
                (None, None) => None,
            }
        }
    }
}

impl RawDate {
    /// The reading `order` gives. With no order a slash date stays ambiguous, also with
    /// AM/PM: en-US prints `3/4/2026 1:53:00 PM` month first, but en-AU, en-NZ, en-IN and
    /// en-PH print AM/PM day first (the research note's own sample, `12/02/2018 1:53:00 PM`,
    /// is 12 February), so AM/PM is no evidence of the order.
    pub(super) fn resolve(self, order: Order) -> Date {
        match (self, order) {
            (RawDate::Known(d), _) => Date::Known(d),
            (RawDate::Slash { month_first, .. }, Order::MonthFirst) => Date::Known(month_first),
            (RawDate::Slash { day_first, .. }, Order::DayFirst) => Date::Known(day_first),
            (
                RawDate::Slash {
                    month_first,
                    day_first,
                    ..
                },
                Order::Unknown,
            ) => Date::Ambiguous {
                month_first,
                day_first,
            },
        }
    }

    /// The (month-first, day-first) readings; equal for a known date.
    pub(super) fn readings(self) -> (OffsetDateTime, OffsetDateTime) {
        match self {
            RawDate::Known(d) => (d, d),
            RawDate::Slash {
                month_first,
                day_first,
                ..
            } => (month_first, day_first),
        }
    }
}

/// Evidence about the order from one slash date printed with a field above 12 is found by
/// [`parse`] itself (it returns `Known`); this says which order such a date proves, for the
/// caller that collects evidence: `Some(order)` when `s` is a slash date with exactly one
/// valid reading.
pub(super) fn proves(s: &str) -> Option<Order> {
    let s = s.trim();
    if s.len() > MAX_DATE_LEN || s.starts_with("/Date(") {
        return None;
    }
    let date_part = s.split([' ', 'T']).next()?;
    let fields: Vec<&str> = date_part.split('/').collect();
    let [a, b, y] = fields.as_slice() else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    let (a, b, y) = (number(a)?, number(b)?, number(y)?);
    let time = Time::MIDNIGHT;
    match (make(y, a, b, time).is_some(), make(y, b, a, time).is_some()) {
        (true, false) => Some(Order::MonthFirst),
        (false, true) => Some(Order::DayFirst),
        _ => None,
    }
}

fn number(s: &str) -> Option<i32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn make(year: i32, month: i32, day: i32, time: Time) -> Option<OffsetDateTime> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = CalDate::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `/Date(1326441600000)/` or `/Date(1326441600000+0100)/` (the milliseconds are UTC; the
/// offset only says where it was printed).
fn ms_date(s: &str) -> Option<OffsetDateTime> {
    let inner = s
        .strip_prefix("\\/Date(")
        .or_else(|| s.strip_prefix("/Date("))?;
    let inner = inner
        .strip_suffix(")\\/")
        .or_else(|| inner.strip_suffix(")/"))?;
    let digits_end = inner
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(inner.len(), |(i, _)| i);
    let ms: i64 = inner[..digits_end].parse().ok()?;
    let rest = &inner[digits_end..];
    if !(rest.is_empty()
        || (rest.len() == 5
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest[1..].bytes().all(|b| b.is_ascii_digit())))
    {
        return None;
    }
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// `13:53:00`, `1:53:00 PM`, `13:53`, `13:53:00.1234567`, optionally (ISO only) followed by
/// `Z`, `+01:00` or `+0100`; returns the time and the offset in seconds east of UTC.
fn time_and_offset(s: &str, iso: bool) -> Option<(Time, i32)> {
    let s = s.trim();
    if s.is_empty() {
        return Some((Time::MIDNIGHT, 0));
    }
    let (clock, mut rest) = match s.find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.')) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    };
    let mut offset = 0;
    let mut pm = None;
    if iso && !rest.is_empty() {
        offset = zone(rest)?;
        rest = "";
    }
    if !rest.is_empty() {
        pm = Some(designator(rest)?);
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, frac),
        None => (clock, ""),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    let h = match pm {
        None => h,
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(false) => h % 12,
        Some(true) => h % 12 + 12,
    };
    let nanos = if frac.is_empty() {
        0
    } else {
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let padded = format!("{frac:0<9}");
        padded.parse::<u32>().ok()?
    };
    let time = Time::from_hms_nano(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(sec).ok()?,
        nanos,
    )
    .ok()?;
    Some((time, offset))
}

/// `Z`, `+01:00`, `-0500` → seconds east of UTC.
fn zone(s: &str) -> Option<i32> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// `AM`/`PM` (any case, with or without dots) → is it PM.
fn designator(s: &str) -> Option<bool> {
    let d: String = s
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase();
    match d.as_str() {
        "AM" => Some(false),
        "PM" => Some(true),
        _ => None,
    }
}

fn has_designator(time_part: &str) -> bool {
    time_part
        .rsplit(' ')
        .next()
        .is_some_and(|t| designator(t).is_some())
}

/// The two readings of a date and of its `…UTC` twin are consistent when they lie within
/// the widest UTC offset (14 hours) of each other.
pub(super) fn twins_agree(local: OffsetDateTime, utc: OffsetDateTime) -> bool {
    (local - utc).abs() <= Duration::hours(14)
}
