//! Timestamps are RFC 3339 in UTC with millisecond precision, e.g. `2026-11-23T14:34:59.123Z`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// The instants RFC 3339 can write in UTC: years 0000 to 9999.
const MIN: OffsetDateTime = datetime!(0000-01-01 00:00:00 UTC);
const MAX: OffsetDateTime = datetime!(9999-12-31 23:59:59.999 UTC);

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self::from_datetime(now).unwrap_or(Self(now))
    }

    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .and_then(Self::from_datetime)
    }

    /// `None` outside the range RFC 3339 can write in UTC, which a time
    /// given with an offset can leave (`9999-12-31T23:00:00-01:00`).
    fn from_datetime(at: OffsetDateTime) -> Option<Self> {
        let at = at.checked_to_offset(UtcOffset::UTC)?;
        if !(MIN..=MAX).contains(&at) {
            return None;
        }
        // Millisecond precision: what we store is exactly what we answer.
        let millis = at.millisecond();
        Some(Self(
            at.replace_nanosecond(u32::from(millis) * 1_000_000)
                .unwrap_or(at),
        ))
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn unix_millis(&self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .and_then(Self::from_datetime)
    }

    /// Saturates at the ends of the writable range instead of overflowing.
    pub fn plus_seconds(&self, seconds: i64) -> Self {
        let bound = if seconds < 0 { MIN } else { MAX };
        Self(
            self.0
                .checked_add(time::Duration::seconds(seconds))
                .map_or(bound, |at| at.clamp(MIN, MAX)),
        )
    }

    pub fn parse(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .and_then(Self::from_datetime)
    }

    pub fn datetime(&self) -> OffsetDateTime {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            d.millisecond()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 timestamp: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_utc_millis_and_round_trips() {
        let t = Timestamp::parse("2026-11-23T15:34:59.123456+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T14:34:59.123Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
    }

    /// Found by fuzzing (domain_values): `from_unix(-377705116800)` made a
    /// timestamp of year -9999 that printed as `-9999-01-01T00:00:00.000Z`,
    /// which is not RFC 3339 and does not parse back. Found while fixing it:
    /// an offset that moves a time past 9999 in UTC reached `to_offset`,
    /// which panics outside its range; `plus_seconds` could overflow too.
    #[test]
    fn only_instants_rfc3339_can_write() {
        assert_eq!(Timestamp::from_unix(-377_705_116_800), None);
        assert_eq!(
            Timestamp::from_unix(-1),
            Timestamp::parse("1969-12-31T23:59:59Z")
        );
        for out in [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:00:00-23:59",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert_eq!(Timestamp::parse(out), None, "{out}");
        }
        for edge in ["0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"] {
            let t = Timestamp::parse(edge).unwrap();
            assert_eq!(t.to_string(), edge);
            for shift in [i64::MIN, -1, 1, i64::MAX] {
                let moved = t.plus_seconds(shift).to_string();
                assert_eq!(Timestamp::parse(&moved).map(|m| m.to_string()), Some(moved));
            }
        }
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert_eq!(Timestamp::parse("yesterday"), None);
        assert_eq!(Timestamp::parse("2026-11-23"), None);
    }
}
