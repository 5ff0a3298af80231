//! JSON request bodies: size, content type, syntax, then each field's shape
//! and rules, reporting every offending field at once.

use crate::{Error, FieldError};
use lambda_http::Request;
use lambda_http::http::header;
use serde_json::{Map, Value};

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request body that is a JSON object, read field by field. Fields not
/// taken by the handler are reported as unknown by [`JsonBody::finish`].
pub struct JsonBody {
    fields: Map<String, Value>,
    errors: Vec<FieldError>,
}

/// `application/json` or `application/…+json`; type and subtype are
/// case-insensitive (RFC 9110 §8.3.1).
fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .rsplit_once('+')
            .is_some_and(|(kind, suffix)| kind.starts_with("application/") && suffix == "json")
}

/// A JSON value whose objects name each member once (I-JSON, RFC 7493). With
/// a repeated name, this parser would keep the last and a proxy or log reader
/// may keep the first: one body, two meanings. So it is refused as malformed.
struct UniqueNames(Value);

impl<'de> serde::Deserialize<'de> for UniqueNames {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueNamesVisitor).map(Self)
    }
}

struct UniqueNamesVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueNamesVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueNames(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde::de::Error as _;
        let mut fields = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if fields.contains_key(&name) {
                return Err(A::Error::custom(format!("the name {name:?} appears twice")));
            }
            let UniqueNames(value) = map.next_value()?;
            fields.insert(name, value);
        }
        Ok(Value::Object(fields))
    }
}

/// Largest magnitude an `f64` holds exactly; an integral float past it may not be the number sent.
const EXACT_F64_MAX: f64 = 9_007_199_254_740_992.0;

/// A JSON integer. As in JSON Schema, a number with a zero fraction (`5.0`,
/// `1e2`) is one: JSON does not tell them apart, and some encoders write them so.
pub fn integer(value: &Value) -> Result<i64, String> {
    let Value::Number(n) = value else {
        return Err("must be an integer".into());
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() != 0.0 || !f.is_finite() => Err("must be an integer".into()),
        // In range and exact, so the cast keeps the value.
        Some(f) if f.abs() <= EXACT_F64_MAX => Ok(f as i64),
        _ => Err("is out of range".into()),
    }
}

impl JsonBody {
    pub fn from_request(req: &Request) -> Result<Self, Error> {
        let bytes: &[u8] = req.body().as_ref();
        if bytes.len() > MAX_BODY_BYTES {
            return Err(Error::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json_media_type(content_type) {
            return Err(Error::UnsupportedMediaType);
        }
        let UniqueNames(value) =
            serde_json::from_slice(bytes).map_err(|e| Error::MalformedJson(e.to_string()))?;
        match value {
            Value::Object(fields) => Ok(Self {
                fields,
                errors: Vec::new(),
            }),
            _ => Err(Error::validation("body", "must be a JSON object")),
        }
    }

    /// An object inside a body, read field by field as a body is; its
    /// problems go back to the body with [`Self::absorb`].
    pub fn object(fields: Map<String, Value>) -> Self {
        Self {
            fields,
            errors: Vec::new(),
        }
    }

    /// Takes `inner`'s problems, and one per field it did not take, as this
    /// body's, named under `prefix` (`shipping_address.city`).
    pub fn absorb(&mut self, prefix: &str, inner: JsonBody) {
        let mut unknown: Vec<String> = inner.fields.keys().cloned().collect();
        unknown.sort();
        for error in inner.errors {
            self.errors.push(FieldError {
                field: format!("{prefix}.{}", error.field),
                ..error
            });
        }
        for field in unknown {
            self.errors.push(FieldError::new(
                format!("{prefix}.{field}"),
                "is not a known field",
            ));
        }
    }

    /// Whether the body has this field at all (even `null`).
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// A required string field, checked by `parse` (a domain constructor).
    pub fn required<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.take(field, true, |value| match value {
            Value::String(text) => parse(&text),
            _ => Err("must be a string".into()),
        })
    }

    /// An optional string field: `None` when absent.
    pub fn optional<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.take(field, false, |value| match value {
            Value::String(text) => parse(&text),
            _ => Err("must be a string".into()),
        })
    }

    /// A required integer field (a JSON number without a fraction).
    pub fn required_int<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(i64) -> Result<T, String>,
    ) -> Option<T> {
        self.take(field, true, |value| parse(integer(&value)?))
    }

    /// An optional integer field: `None` when absent.
    pub fn optional_int<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(i64) -> Result<T, String>,
    ) -> Option<T> {
        self.take(field, false, |value| parse(integer(&value)?))
    }

    /// A required field of any JSON type, for shapes the helpers above do not cover.
    pub fn required_value(&mut self, field: &str) -> Option<Value> {
        self.take(field, true, Ok)
    }

    fn take<T>(
        &mut self,
        field: &str,
        required: bool,
        convert: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.fields.remove(field) {
            None if required => {
                self.errors.push(FieldError::new(field, "is required"));
                None
            }
            None => None,
            Some(value) => match convert(value) {
                Ok(parsed) => Some(parsed),
                Err(message) => {
                    self.errors.push(FieldError::new(field, message));
                    None
                }
            },
        }
    }

    /// Whether every field has been taken (and so none is unknown).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Records a rule that involves more than one field.
    pub fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `parsed` (the fields the handler took, combined) when nothing was
    /// wrong; otherwise every error found.
    pub fn finish_with<T>(self, parsed: Option<T>) -> Result<T, Error> {
        self.finish()?;
        parsed.ok_or_else(|| Error::validation("body", "is incomplete"))
    }

    /// Every error found so far, plus one per field the handler did not take.
    pub fn finish(mut self) -> Result<(), Error> {
        let mut unknown: Vec<String> = self.fields.keys().cloned().collect();
        unknown.sort();
        self.errors.extend(
            unknown
                .into_iter()
                .map(|field| FieldError::new(field, "is not a known field")),
        );
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/x");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(Body::Text(body.to_owned())).unwrap()
    }

    fn nonempty(s: &str) -> Result<String, String> {
        if s.is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(s.to_owned())
        }
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/x-www-form-urlencoded",
            "text/json+xml",
            "application/jsonp",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    /// Found by fuzzing (http_request): `applicatiOn/merge-patch+json` was
    /// refused with 415 while `Application/JSON` was accepted.
    #[test]
    fn media_types_ignore_case_in_suffixed_types_too() {
        for ok in [
            "applicatiOn/merge-patch+json; charset=utf-8",
            "APPLICATION/PROBLEM+JSON",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
            assert!(
                JsonBody::from_request(&request(Some(ok), "{}")).is_ok(),
                "{ok}"
            );
        }
        assert!(!is_json_media_type("TEXT/X+JSON"));
    }

    #[test]
    fn wrong_content_type_is_415_and_missing_too() {
        assert!(matches!(
            JsonBody::from_request(&request(Some("text/plain"), "{}")),
            Err(Error::UnsupportedMediaType)
        ));
        assert!(matches!(
            JsonBody::from_request(&request(None, "{}")),
            Err(Error::UnsupportedMediaType)
        ));
    }

    #[test]
    fn malformed_json_is_400() {
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        for bad in ["{", "", "{\"a\":}", "nul", &deep] {
            assert!(
                matches!(
                    JsonBody::from_request(&request(Some("application/json"), bad)),
                    Err(Error::MalformedJson(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn repeated_names_are_malformed_at_any_depth() {
        for bad in [
            r#"{"username": "a", "username": "admin"}"#,
            r#"{"items": [{"product_id": "x", "quantity": 1, "quantity": 100}]}"#,
            r#"{"a": {"b": 1, "b": 2}}"#,
        ] {
            assert!(
                matches!(
                    JsonBody::from_request(&request(Some("application/json"), bad)),
                    Err(Error::MalformedJson(_))
                ),
                "{bad}"
            );
        }
        let req = request(
            Some("application/json"),
            r#"{"a": [1, -2, 3.5, 18446744073709551615, true, null, "s", {"b": {"c": []}}], "d": {}}"#,
        );
        let mut body = JsonBody::from_request(&req).unwrap();
        assert_eq!(
            body.required_value("a"),
            Some(
                serde_json::json!([1, -2, 3.5, 18446744073709551615u64, true, null, "s", {"b": {"c": []}}])
            )
        );
        assert_eq!(body.required_value("d"), Some(serde_json::json!({})));
        assert!(body.finish().is_ok());
    }

    #[test]
    fn oversized_is_413() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert!(matches!(
            JsonBody::from_request(&request(Some("application/json"), &big)),
            Err(Error::PayloadTooLarge { .. })
        ));
        let fits = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES - 10));
        assert!(JsonBody::from_request(&request(Some("application/json"), &fits)).is_ok());
    }

    #[test]
    fn non_object_is_422() {
        for body in ["[]", "1", "\"s\"", "null"] {
            match JsonBody::from_request(&request(Some("application/json"), body)) {
                Err(Error::Validation(errors)) => assert_eq!(errors[0].field, "body"),
                other => panic!("{body}: {:?}", other.err()),
            }
        }
    }

    #[test]
    fn reports_every_field_missing_wrong_type_rule_and_unknown() {
        let req = request(
            Some("application/json"),
            r#"{"a": 1, "b": "", "zz": true, "yy": null}"#,
        );
        let mut body = JsonBody::from_request(&req).unwrap();
        assert_eq!(body.required("a", nonempty), None);
        assert_eq!(body.required("b", nonempty), None);
        assert_eq!(body.required("c", nonempty), None);
        assert_eq!(body.optional("d", nonempty), None);
        let Err(Error::Validation(errors)) = body.finish() else {
            panic!()
        };
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "must be a string"),
                ("b", "must not be empty"),
                ("c", "is required"),
                ("yy", "is not a known field"),
                ("zz", "is not a known field"),
            ]
        );
    }

    #[test]
    fn integral_floats_are_integers() {
        for (text, expected) in [
            ("49.0", Ok(49)),
            ("1e2", Ok(100)),
            ("-3.0", Ok(-3)),
            ("-0.0", Ok(0)),
            ("0.5", Err("must be an integer")),
            ("2.5890419884777833e-42", Err("must be an integer")),
            ("1e300", Err("is out of range")),
            ("9007199254740994.0", Err("is out of range")),
            ("true", Err("must be an integer")),
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(integer(&value), expected.map_err(str::to_owned), "{text}");
        }
    }

    #[test]
    fn non_utf8_body_is_malformed_json() {
        // API Gateway hands over bytes it cannot read as text in base64, so they
        // arrive as a binary body.
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/x")
            .header("content-type", "application/json")
            .body(Body::Binary(vec![0xff, 0xfe, b'{', 0x9b]))
            .unwrap();
        assert!(matches!(
            JsonBody::from_request(&req),
            Err(Error::MalformedJson(_))
        ));
    }

    #[test]
    fn integers() {
        let req = request(
            Some("application/json"),
            r#"{"a": 5, "b": 5.5, "c": "5", "d": 18446744073709551615, "e": -3}"#,
        );
        let mut body = JsonBody::from_request(&req).unwrap();
        assert_eq!(body.required_int("a", Ok), Some(5));
        assert_eq!(body.required_int("b", Ok), None);
        assert_eq!(body.optional_int("c", Ok), None);
        assert_eq!(body.optional_int("d", Ok), None);
        assert_eq!(
            body.optional_int("e", |n| if n < 0 {
                Err("must not be negative".to_owned())
            } else {
                Ok(n)
            }),
            None
        );
        assert_eq!(body.optional_int("absent", Ok), None);
        let Err(Error::Validation(errors)) = body.finish() else {
            panic!()
        };
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("b", "must be an integer"),
                ("c", "must be an integer"),
                ("d", "is out of range"),
                ("e", "must not be negative")
            ]
        );
    }

    #[test]
    fn clean_body_finishes() {
        let req = request(Some("application/json"), r#"{"a": "x"}"#);
        let mut body = JsonBody::from_request(&req).unwrap();
        assert_eq!(body.required("a", nonempty).as_deref(), Some("x"));
        assert!(body.finish().is_ok());
    }
}
