//! The Azure LLM inference traces (2023 and 2024): CSV with a wall-clock `TIMESTAMP`.
//!
//! Rows look like `2023-11-16 18:17:03.9799600,4808,10`. The 2024 traces write the same columns
//! and may end the time with a UTC offset (`+00:00`), which is honoured.

use super::{CsvSchema, TraceFormat};

pub(super) const SCHEMA: CsvSchema = CsvSchema {
    format: TraceFormat::Azure,
    header: "TIMESTAMP,ContextTokens,GeneratedTokens",
    columns: ["TIMESTAMP", "ContextTokens", "GeneratedTokens"],
    parse_time_ns,
    drop_empty_rows: false,
};

const NS_PER_S: i64 = 1_000_000_000;

/// Parses `YYYY-MM-DD HH:MM:SS[.f…][Z|±HH:MM]` (up to nine fractional digits, `T` accepted for
/// the space) to nanoseconds since 1970-01-01 00:00:00 UTC.
fn parse_time_ns(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a time like `2023-11-16 18:17:03.9799600`");
    let (date, time) = text.split_once([' ', 'T']).ok_or_else(bad)?;
    let (clock, offset_s) = split_offset(time).ok_or_else(bad)?;
    let (hms, fraction_ns) = match clock.split_once('.') {
        None => (clock, 0),
        Some((hms, digits)) => (hms, fraction_ns(digits).ok_or_else(bad)?),
    };
    let [year, month, day] = fixed_fields(date, '-', [4, 2, 2]).ok_or_else(bad)?;
    let [hour, minute, second] = fixed_fields(hms, ':', [2, 2, 2]).ok_or_else(bad)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("`{text}`: no such date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("`{text}`: no such time of day"));
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    seconds
        .checked_mul(NS_PER_S)
        .and_then(|ns| ns.checked_add(fraction_ns))
        .ok_or_else(|| {
            format!("`{text}`: out of range (nanoseconds since 1970 overflow after 2262)")
        })
}

/// Splits a trailing `Z` or `±HH:MM` off a time of day; returns the clock and the offset in s.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Some((clock, 0));
    }
    match time.find(['+', '-']) {
        None => Some((time, 0)),
        Some(at) => {
            let [hours, minutes] = fixed_fields(&time[at + 1..], ':', [2, 2])?;
            let sign = if time[at..].starts_with('-') { -1 } else { 1 };
            Some((&time[..at], sign * (hours * 3600 + minutes * 60)))
        }
    }
}

/// Splits `text` at `separator` into exactly `N` all-digit fields of the given widths.
fn fixed_fields<const N: usize>(
    text: &str,
    separator: char,
    widths: [usize; N],
) -> Option<[i64; N]> {
    let mut parts = text.split(separator);
    let mut values = [0; N];
    for (value, width) in values.iter_mut().zip(widths) {
        let part = parts.next()?;
        if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *value = part.parse().ok()?;
    }
    parts.next().is_none().then_some(values)
}

/// Nanoseconds of the digits after the decimal point of a second (one to nine digits).
fn fraction_ns(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .try_fold(0, |ns, digit| Some(ns * 10 + i64::from(digit - b'0')))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_match_the_calendar() {
        // Reference values from Python's datetime.date differences.
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2023, 11, 16), 19_677);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
    }

    #[test]
    fn parses_azure_timestamps() {
        let t0 = parse_time_ns("2023-11-16 18:15:46.6805900").unwrap();
        let t1 = parse_time_ns("2023-11-16 18:15:50.9951690").unwrap();
        assert_eq!(t1 - t0, 4_314_579_000);
        let day = 19_677 * 86_400 * NS_PER_S;
        assert_eq!(
            t0,
            day + (18 * 3600 + 15 * 60 + 46) * NS_PER_S + 680_590_000
        );
        assert_eq!(
            parse_time_ns("2023-11-16 18:15:46").unwrap(),
            t0 - 680_590_000
        );
        assert_eq!(parse_time_ns("2023-11-16T18:15:46.68059Z").unwrap(), t0);
        assert_eq!(
            parse_time_ns("2023-11-16 20:15:46.6805900+02:00").unwrap(),
            t0
        );
        assert_eq!(
            parse_time_ns("2023-11-16 17:15:46.6805900-01:00").unwrap(),
            t0
        );
    }

    #[test]
    fn rejects_malformed_timestamps() {
        for text in [
            "",
            "2023-11-16",
            "2023-11-16 18:15",
            "23-11-16 18:15:46",
            "2023-11-16 18:15:46.",
            "2023-11-16 18:15:46.1234567890",
            "2023-11-16 18:15:4x",
            "2023-11-16 18:15:46+2",
            "1700000000",
        ] {
            let message = parse_time_ns(text).unwrap_err();
            assert!(message.contains("is not a time"), "{text}: {message}");
        }
        assert!(
            parse_time_ns("2023-02-29 00:00:00")
                .unwrap_err()
                .contains("no such date")
        );
        assert!(
            parse_time_ns("2023-13-01 00:00:00")
                .unwrap_err()
                .contains("no such date")
        );
        assert!(
            parse_time_ns("6023-11-16 18:15:46")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_time_ns("2262-04-11 23:47:16").is_ok());
        assert!(
            parse_time_ns("2023-11-16 24:00:00")
                .unwrap_err()
                .contains("no such time")
        );
    }
}
