//! The one error type every use case and handler returns. How each variant
//! looks on the wire is decided in one place: [`crate::http::problem`].

use std::fmt;

/// One offending field of a request body, as it appears in a problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// The product a line is about (insufficient stock, unknown product).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            product_id: None,
        }
    }

    pub fn for_product(mut self, product_id: impl Into<String>) -> Self {
        self.product_id = Some(product_id.into());
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// The reason is for tests and debugging, never sent: clients learn
    /// only that the token is unusable.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("no route for this method and path")]
    RouteNotFound,
    #[error("username is taken")]
    UsernameTaken,
    #[error("email is taken")]
    EmailTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Unknown, expired, revoked or already used: the client signs in again.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("too many attempts; retry after {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A mailed verification or reset token that is unknown, expired or
    /// already used.
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("user not found")]
    UserNotFound,
    #[error("the address book is full")]
    AddressLimit,
    #[error("address not found")]
    AddressNotFound,
    /// A read-modify-write lost to concurrent writes every time it tried.
    #[error("the record kept changing under concurrent edits")]
    EditConflict,
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("product not found")]
    ProductNotFound,
    #[error("If-Match is required")]
    PreconditionRequired,
    #[error("If-Match does not match the current version")]
    PreconditionFailed,
    #[error("insufficient stock: {0:?}")]
    InsufficientStock(Vec<FieldError>),
    #[error("unknown product: {0:?}")]
    UnknownProduct(Vec<FieldError>),
    #[error("order not found")]
    OrderNotFound,
    /// The change needs another status: what it was when refused (`None`
    /// when a racing change won), and which status the change needs.
    #[error("the order's status does not allow this")]
    InvalidOrderState {
        status: Option<crate::domain::OrderStatus>,
        allowed: &'static str,
    },
    #[error("a request with this Idempotency-Key is still running")]
    IdempotencyInProgress,
    #[error("this Idempotency-Key was used with another request body")]
    IdempotencyKeyMismatch,
    #[error("an Idempotency-Key header is required")]
    IdempotencyKeyRequired,
    #[error("the order cannot be paid")]
    OrderNotPayable,
    #[error("the account holds the most unpaid orders it may")]
    TooManyOpenOrders,
    #[error("payment {payment_id} declined: {code:?}")]
    PaymentDeclined {
        code: crate::domain::payment::DeclineCode,
        payment_id: String,
    },
    #[error("payment not found")]
    PaymentNotFound,
    #[error("the cart is not at the version the checkout names")]
    CartChanged,
    #[error("the cart is empty")]
    CartEmpty,
    #[error("the cart holds the most lines it may")]
    CartFull,
    /// The cart kept changing under this write.
    #[error("the cart changed while it was being written")]
    CartBusy,
    #[error("the shipping option does not serve the address's country")]
    ShippingUnavailable,
    #[error("shipping option not found")]
    ShippingOptionNotFound,
    #[error("the shop has the most shipping options it may")]
    TooManyShippingOptions,
    /// What is left to refund of the payment, in cents.
    #[error("the refund exceeds what is left of the payment")]
    RefundExceedsPayment { refundable_cents: i64 },
    #[error("notification not found")]
    NotificationNotFound,
    #[error("{context}: {source}")]
    Internal {
        context: &'static str,
        #[source]
        source: BoxError,
    },
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// `map_err(Error::internal("what we were doing"))`
    pub fn internal<E>(context: &'static str) -> impl FnOnce(E) -> Self
    where
        E: Into<BoxError>,
    {
        move |source| Self::Internal {
            context,
            source: source.into(),
        }
    }
}

/// How a non-HTTP function (a sweeper, a queue consumer) reports a failed
/// invocation to Lambda: the variant as the type, the message as text.
impl From<Error> for lambda_http::lambda_runtime::Diagnostic {
    fn from(error: Error) -> Self {
        let error_type = match &error {
            Error::Internal { context, .. } => format!("Internal: {context}"),
            other => format!("{other:?}")
                .split(['(', ' ', '{'])
                .next()
                .unwrap_or("Error")
                .to_owned(),
        };
        Self {
            error_type,
            error_message: error.to_string(),
        }
    }
}

/// An error and every source under it, `: `-separated, for a log line (an
/// SDK error's own text is only "service error"; its sources say which).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_name_every_cause() {
        let inner = std::io::Error::other("connection refused");
        let error = Error::internal("reading the users table")(inner);
        assert_eq!(chain(&error), "reading the users table: connection refused");
    }
}
