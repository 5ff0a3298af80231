//! RFC 9457 problem documents: the one place where an [`Error`] becomes a
//! status, a stable `code` and a body.

use crate::{Error, FieldError};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{Map, Value};

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extension members (e.g. `checks` on a failed health check).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: title(status),
            status: status.as_u16(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extra: Map::new(),
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// RFC 9110's reason phrases (the `http` crate still has the older names of 413 and 422).
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Content Too Large",
        StatusCode::UNPROCESSABLE_ENTITY => "Unprocessable Content",
        other => other.canonical_reason().unwrap_or("Error"),
    }
}

impl From<&Error> for Problem {
    fn from(error: &Error) -> Self {
        use StatusCode as S;
        match error {
            Error::MalformedJson(reason) => Problem::new(
                S::BAD_REQUEST,
                "malformed_json",
                format!("The request body is not valid JSON: {reason}."),
            ),
            Error::UnsupportedMediaType => Problem::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "The request body must be sent as application/json.",
            ),
            Error::PayloadTooLarge { limit } => Problem::new(
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The request body is larger than {limit} bytes."),
            ),
            Error::Validation(errors) => Problem {
                errors: errors.clone(),
                ..Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "The request body breaks one or more rules; see errors.",
                )
            },
            Error::Unauthorized(_) => Problem::new(
                S::UNAUTHORIZED,
                "unauthorized",
                "A valid bearer access token is required.",
            ),
            Error::Forbidden => Problem::new(
                S::FORBIDDEN,
                "forbidden",
                "Your role does not allow this action.",
            ),
            Error::RouteNotFound => Problem::new(
                S::NOT_FOUND,
                "route_not_found",
                "No route matches this method and path.",
            ),
            Error::UsernameTaken => Problem::new(
                S::CONFLICT,
                "username_taken",
                "An account with this username already exists.",
            ),
            Error::EmailTaken => Problem::new(
                S::CONFLICT,
                "email_taken",
                "An account with this e-mail address already exists.",
            ),
            Error::InvalidCredentials => Problem::new(
                S::UNAUTHORIZED,
                "invalid_credentials",
                "The name or password is incorrect.",
            ),
            Error::InvalidRefreshToken => Problem::new(
                S::UNAUTHORIZED,
                "invalid_refresh_token",
                "The refresh token is unknown, expired, revoked or already used. Sign in again.",
            ),
            Error::TooManyAttempts { retry_after_secs } => Problem::new(
                S::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("Too many attempts. Retry after {retry_after_secs} seconds."),
            ),
            Error::InvalidToken => Problem::new(
                S::BAD_REQUEST,
                "invalid_token",
                "The link is unknown, expired or already used. Ask for a new one.",
            ),
            Error::UserNotFound => Problem::new(
                S::NOT_FOUND,
                "user_not_found",
                "The account of this token no longer exists.",
            ),
            Error::AddressLimit => Problem::new(
                S::CONFLICT,
                "address_limit",
                format!(
                    "An account holds at most {} addresses. Delete one first.",
                    crate::domain::address::MAX_ADDRESSES
                ),
            ),
            Error::AddressNotFound => Problem::new(
                S::NOT_FOUND,
                "address_not_found",
                "You have no address with this id.",
            ),
            Error::EditConflict => Problem::new(
                S::CONFLICT,
                "edit_conflict",
                "Your account changed while this change was applied. Send it again.",
            ),
            Error::InvalidCursor => Problem::new(
                S::BAD_REQUEST,
                "invalid_cursor",
                "The cursor is not one this list handed out for these filters.",
            ),
            Error::ProductNotFound => {
                Problem::new(S::NOT_FOUND, "product_not_found", "No product has this id.")
            }
            Error::PreconditionRequired => Problem::new(
                S::PRECONDITION_REQUIRED,
                "precondition_required",
                "Setting an absolute stock requires If-Match with the product's ETag.",
            ),
            Error::PreconditionFailed => Problem::new(
                S::PRECONDITION_FAILED,
                "precondition_failed",
                "It changed since that ETag; read it again.",
            ),
            Error::InsufficientStock(errors) => Problem {
                errors: errors.clone(),
                ..Problem::new(
                    S::CONFLICT,
                    "insufficient_stock",
                    "Not enough stock; see errors.",
                )
            },
            Error::UnknownProduct(errors) => Problem {
                errors: errors.clone(),
                ..Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "unknown_product",
                    "A line names a product that does not exist or is no longer sold; see errors.",
                )
            },
            Error::OrderNotFound => Problem::new(
                S::NOT_FOUND,
                "order_not_found",
                "No order of yours has this id.",
            ),
            Error::InvalidOrderState { status, allowed } => Problem::new(
                S::CONFLICT,
                "invalid_order_state",
                match status {
                    Some(status) => format!(
                        "The order is {}. {allowed}",
                        status.as_str().replace('_', " ")
                    ),
                    None => format!("The order changed meanwhile. {allowed}"),
                },
            ),
            Error::IdempotencyInProgress => Problem::new(
                S::CONFLICT,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            ),
            Error::IdempotencyKeyMismatch => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency_key_mismatch",
                "This Idempotency-Key was used with a different request body.",
            ),
            Error::IdempotencyKeyRequired => Problem::new(
                S::BAD_REQUEST,
                "idempotency_key_required",
                "This route needs an Idempotency-Key header (a UUID, say) so retries cannot pay twice.",
            ),
            Error::TooManyOpenOrders => Problem::new(
                S::CONFLICT,
                "too_many_open_orders",
                "You have 5 orders waiting for payment: pay or cancel one first (unpaid orders expire after 30 minutes).",
            ),
            Error::CartChanged => Problem::new(
                S::CONFLICT,
                "cart_changed",
                "The cart changed since the version this checkout names: read it again (GET /cart) and check out that version.",
            ),
            Error::CartEmpty => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "cart_empty",
                "The cart is empty: add a product first.",
            ),
            Error::CartFull => Problem::new(
                S::CONFLICT,
                "cart_full",
                format!(
                    "A cart holds at most {} products: remove one first.",
                    crate::domain::cart::MAX_LINES
                ),
            ),
            Error::CartBusy => Problem::new(
                S::CONFLICT,
                "cart_changed",
                "The cart kept changing while this change was written; read it and try again.",
            ),
            Error::ShippingUnavailable => Problem {
                errors: vec![crate::FieldError::new(
                    "shipping_option_id",
                    "does not ship to the address's country",
                )],
                ..Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "shipping_unavailable",
                    "This shipping option does not ship to that country: pick another (GET /shipping-options?country=).",
                )
            },
            Error::ShippingOptionNotFound => Problem::new(
                S::NOT_FOUND,
                "shipping_option_not_found",
                "No shipping option has this id.",
            ),
            Error::TooManyShippingOptions => Problem::new(
                S::CONFLICT,
                "too_many_shipping_options",
                format!(
                    "The shop keeps at most {} shipping options: delete one first.",
                    crate::domain::shipping::MAX_OPTIONS
                ),
            ),
            Error::RefundExceedsPayment { refundable_cents } => Problem::new(
                S::CONFLICT,
                "refund_exceeds_payment",
                format!(
                    "The refunds of a payment never add up to more than it: {refundable_cents} cents of it are left to refund."
                ),
            ),
            Error::OrderNotPayable => Problem::new(
                S::CONFLICT,
                "order_not_payable",
                "Only an order that is pending payment and not expired can be paid.",
            ),
            Error::PaymentDeclined { code, payment_id } => {
                let mut problem = Problem::new(
                    S::PAYMENT_REQUIRED,
                    code.as_str(),
                    match code {
                        crate::domain::payment::DeclineCode::CardDeclined => {
                            "The card was declined."
                        }
                        crate::domain::payment::DeclineCode::InsufficientFunds => {
                            "The card has insufficient funds."
                        }
                    },
                );
                problem
                    .extra
                    .insert("payment_id".into(), payment_id.clone().into());
                problem
            }
            Error::PaymentNotFound => Problem::new(
                S::NOT_FOUND,
                "payment_not_found",
                "No payment of yours has this id.",
            ),
            Error::NotificationNotFound => Problem::new(
                S::NOT_FOUND,
                "notification_not_found",
                "No notification of yours has this id.",
            ),
            Error::Internal { .. } => Problem::new(
                S::INTERNAL_SERVER_ERROR,
                "internal_error",
                "An unexpected error occurred. Quote the x-request-id header when reporting it.",
            ),
        }
    }
}

/// The problem document for `error`, with the headers its status calls for.
pub fn response(error: &Error) -> Response<Body> {
    let mut response = problem_response(&Problem::from(error));
    let headers = response.headers_mut();
    match error {
        Error::Unauthorized(_) | Error::InvalidCredentials => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        Error::TooManyAttempts { retry_after_secs } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        _ => {}
    }
    response
}

pub fn problem_response(problem: &Problem) -> Response<Body> {
    // Serialising plain strings and numbers cannot fail; the fallback keeps
    // this path free of panics all the same.
    let body = serde_json::to_string(problem).unwrap_or_else(|_| {
        r#"{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal_error","detail":""}"#.to_owned()
    });
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = problem.status();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(error: Error) -> (u16, Value, Response<Body>) {
        let response = response(&error);
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        (response.status().as_u16(), body, response)
    }

    #[test]
    fn every_error_has_its_status_and_code() {
        let cases = [
            (Error::MalformedJson("x".into()), 400, "malformed_json"),
            (Error::UnsupportedMediaType, 415, "unsupported_media_type"),
            (
                Error::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
            (Error::validation("f", "m"), 422, "validation_failed"),
            (Error::Unauthorized("x"), 401, "unauthorized"),
            (Error::Forbidden, 403, "forbidden"),
            (Error::RouteNotFound, 404, "route_not_found"),
            (Error::UsernameTaken, 409, "username_taken"),
            (Error::EmailTaken, 409, "email_taken"),
            (Error::InvalidCredentials, 401, "invalid_credentials"),
            (Error::InvalidRefreshToken, 401, "invalid_refresh_token"),
            (
                Error::TooManyAttempts {
                    retry_after_secs: 30,
                },
                429,
                "too_many_attempts",
            ),
            (Error::InvalidToken, 400, "invalid_token"),
            (Error::UserNotFound, 404, "user_not_found"),
            (Error::AddressLimit, 409, "address_limit"),
            (Error::AddressNotFound, 404, "address_not_found"),
            (Error::EditConflict, 409, "edit_conflict"),
            (Error::InvalidCursor, 400, "invalid_cursor"),
            (Error::ProductNotFound, 404, "product_not_found"),
            (Error::PreconditionRequired, 428, "precondition_required"),
            (Error::PreconditionFailed, 412, "precondition_failed"),
            (
                Error::InsufficientStock(vec![
                    FieldError::new("stock_delta", "m").for_product("p"),
                ]),
                409,
                "insufficient_stock",
            ),
            (
                Error::UnknownProduct(vec![
                    FieldError::new("items[0].product_id", "m").for_product("p"),
                ]),
                422,
                "unknown_product",
            ),
            (Error::OrderNotFound, 404, "order_not_found"),
            (
                Error::InvalidOrderState {
                    status: None,
                    allowed: "",
                },
                409,
                "invalid_order_state",
            ),
            (Error::IdempotencyInProgress, 409, "idempotency_in_progress"),
            (
                Error::IdempotencyKeyMismatch,
                422,
                "idempotency_key_mismatch",
            ),
            (
                Error::IdempotencyKeyRequired,
                400,
                "idempotency_key_required",
            ),
            (Error::OrderNotPayable, 409, "order_not_payable"),
            (Error::CartFull, 409, "cart_full"),
            (Error::CartChanged, 409, "cart_changed"),
            (Error::CartEmpty, 422, "cart_empty"),
            (Error::ShippingUnavailable, 422, "shipping_unavailable"),
            (Error::CartBusy, 409, "cart_changed"),
            (
                Error::ShippingOptionNotFound,
                404,
                "shipping_option_not_found",
            ),
            (
                Error::TooManyShippingOptions,
                409,
                "too_many_shipping_options",
            ),
            (
                Error::RefundExceedsPayment {
                    refundable_cents: 0,
                },
                409,
                "refund_exceeds_payment",
            ),
            (Error::TooManyOpenOrders, 409, "too_many_open_orders"),
            (
                Error::PaymentDeclined {
                    code: crate::domain::payment::DeclineCode::CardDeclined,
                    payment_id: "p".into(),
                },
                402,
                "card_declined",
            ),
            (
                Error::PaymentDeclined {
                    code: crate::domain::payment::DeclineCode::InsufficientFunds,
                    payment_id: "p".into(),
                },
                402,
                "insufficient_funds",
            ),
            (Error::PaymentNotFound, 404, "payment_not_found"),
            (Error::NotificationNotFound, 404, "notification_not_found"),
            (Error::internal("ctx")("boom"), 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            let (got_status, body, response) = doc(error);
            assert_eq!(got_status, status, "{code}");
            assert_eq!(body["status"], status, "{code}");
            assert_eq!(body["code"], code);
            assert_eq!(body["type"], "about:blank");
            assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()));
            assert_eq!(response.headers()["content-type"], CONTENT_TYPE);
        }
    }

    #[test]
    fn validation_lists_fields() {
        let (_, body, _) = doc(Error::Validation(vec![
            FieldError::new("email", "bad"),
            FieldError::new("password", "short"),
        ]));
        assert_eq!(body["title"], "Unprocessable Content");
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][1]["message"], "short");
    }

    #[test]
    fn auth_and_throttle_headers() {
        let (_, _, r) = doc(Error::Unauthorized("x"));
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let (_, _, r) = doc(Error::TooManyAttempts {
            retry_after_secs: 42,
        });
        assert_eq!(r.headers()["retry-after"], "42");
    }

    #[test]
    fn internal_causes_stay_private() {
        let (_, body, _) = doc(Error::internal("reading the users table")("secret detail"));
        assert!(!body.to_string().contains("secret detail"));
        assert!(!body.to_string().contains("users table"));
    }
}
