//! The one way a value type is declared here: a tuple struct with a private
//! field, a hand-written `parse` beside it (the only way to make one from
//! outside, so an invalid value cannot exist), and `newtype!` for the rest:
//! serde through `parse` (stored and received values are checked alike), the
//! conversions, and the accessor.
//!
//! - `newtype!(text Name)`: over a `String`, `parse(&str) -> Result<Self, String>`, `as_str()`;
//! - `newtype!(int Name)`: over an `i64`, `parse(i64) -> Result<Self, String>`, `get()`;
//! - `newtype!(id Name, "what")`: over a ULID string, `parse(&str) -> Option<Self>`, `as_str()`.

macro_rules! newtype {
    (text $name:ident) => {
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(&value)
            }
        }
        newtype!(@string $name);
    };
    (id $name:ident, $what:literal) => {
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(&value).ok_or_else(|| format!(concat!("not ", $what, ": {}"), value))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        newtype!(@string $name);
    };
    (int $name:ident) => {
        impl $name {
            pub fn get(&self) -> i64 {
                self.0
            }
        }
        impl TryFrom<i64> for $name {
            type Error = String;
            fn try_from(value: i64) -> Result<Self, String> {
                Self::parse(value)
            }
        }
        impl From<$name> for i64 {
            fn from(value: $name) -> Self {
                value.0
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <i64 as serde::Deserialize>::deserialize(d)?;
                Self::try_from(value).map_err(serde::de::Error::custom)
            }
        }
    };
    (@string $name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <String as serde::Deserialize>::deserialize(d)?;
                Self::try_from(value).map_err(serde::de::Error::custom)
            }
        }
    };
}
