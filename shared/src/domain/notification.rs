//! Notifications: e-mails the shop sends, one per source event.

use super::{Email, Timestamp, UserId};
use serde::{Deserialize, Serialize};

pub const SUBJECT_MAX: usize = 200;
pub const MESSAGE_MAX: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Queued,
    Sending,
    Sent,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
}

impl Channel {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "email" => Ok(Self::Email),
            _ => Err("must be \"email\"".into()),
        }
    }
}

/// 1–200 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);
newtype!(text Subject);

impl Subject {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(1..=SUBJECT_MAX).contains(&len) || text.trim().is_empty() {
            return Err(format!("must be 1 to {SUBJECT_MAX} characters, not blank"));
        }
        if text.contains(['\r', '\n']) {
            return Err("must be one line".into());
        }
        Ok(Self(text.to_owned()))
    }
}

/// 1–10,000 characters of plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);
newtype!(text MessageText);

impl MessageText {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(1..=MESSAGE_MAX).contains(&len) || text.trim().is_empty() {
            return Err(format!("must be 1 to {MESSAGE_MAX} characters, not blank"));
        }
        Ok(Self(text.to_owned()))
    }
}

/// A notification as a client sees it. Its id is its source event's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub user_id: Option<UserId>,
    pub channel: Channel,
    pub recipient: Email,
    pub subject: Subject,
    pub status: NotificationStatus,
    pub provider_message_id: Option<String>,
    pub source_event_id: String,
    pub attempts: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `$1,234.56` from minor units, without floating point.
pub fn format_usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// Text made safe to put inside HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money() {
        assert_eq!(format_usd(0), "$0.00");
        assert_eq!(format_usd(5), "$0.05");
        assert_eq!(format_usd(123_456), "$1,234.56");
        assert_eq!(format_usd(100_000_000_000), "$1,000,000,000.00");
        assert_eq!(format_usd(-1999), "-$19.99");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn subjects_and_messages() {
        assert!(Subject::parse("Hello").is_ok());
        for bad in ["", "  ", "two\nlines", &"s".repeat(201)] {
            assert!(Subject::parse(bad).is_err(), "{bad:?}");
        }
        assert!(MessageText::parse("multi\nline").is_ok());
        assert!(MessageText::parse(&"m".repeat(10_001)).is_err());
        assert_eq!(Channel::parse("email"), Ok(Channel::Email));
        assert!(Channel::parse("sms").is_err());
    }
}
