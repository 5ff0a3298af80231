//! `POST /payments/{id}/refunds` (admin): always under an `Idempotency-Key`.

use super::idempotent::{Keyed, idempotent};
use super::orders::product_lines;
use super::{Admin, FromRequest, JsonBody, json};
use crate::Error;
use crate::FieldError;
use crate::domain::payment::PaymentId;
use crate::domain::refund::{
    Refund, RefundAmount, RefundNote, RefundReason, RefundRequest, Restock,
};
use crate::wiring::{Idempotent, RefundsApi};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// At most one restock line per line an order can have.
const MAX_RESTOCK_LINES: usize = crate::domain::order::MAX_LINES;

/// Parses `{"amount_cents", "reason", "note"?, "restock"?: [{"product_id", "quantity"}]}`.
pub fn refund_request(req: &Request) -> Result<RefundRequest, Error> {
    let mut body = JsonBody::from_request(req)?;
    let amount = body.required_int("amount_cents", RefundAmount::parse);
    let reason = body.required("reason", RefundReason::parse);
    let note = body.optional("note", RefundNote::parse);
    let mut restock = Vec::new();
    let mut unknown = Vec::new();
    match body
        .has("restock")
        .then(|| body.required_value("restock"))
        .flatten()
    {
        None => {}
        Some(Value::Array(entries)) if entries.len() > MAX_RESTOCK_LINES => {
            body.reject(
                "restock",
                format!("must have at most {MAX_RESTOCK_LINES} lines"),
            );
        }
        Some(Value::Array(entries)) => {
            restock = product_lines(&mut body, "restock", entries, &mut unknown)
                .into_iter()
                .map(|line| Restock {
                    product_id: line.product_id,
                    quantity: line.quantity,
                })
                .collect();
        }
        Some(_) => body.reject("restock", "must be an array"),
    }
    for error in unknown {
        body.reject(&error.field, "is not a product of this order");
    }
    let (amount, reason) = body.finish_with(amount.zip(reason))?;
    RefundRequest::new(amount, reason, note, restock).map_err(|i| {
        Error::Validation(vec![FieldError::new(
            format!("restock[{i}].product_id"),
            "is listed twice",
        )])
    })
}

impl<S> FromRequest<S> for RefundRequest {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        refund_request(req)
    }
}

/// `POST /payments/{id}/refunds`.
pub async fn create(
    api: &Idempotent<RefundsApi>,
    (admin, keyed, id, request): (Admin, Keyed, PaymentId, RefundRequest),
) -> Result<Response<Body>, Error> {
    let (id, request) = (&id, &request);
    let route = format!("/payments/{id}/refunds");
    // The refund is bound to the claim's key, so a retry after a crash
    // before the outcome is recorded finds it and answers the same.
    let work = move |claim: crate::idempotency::Claim| async move {
        let refund = api.refunds.refund(id, request, &claim.pk).await?;
        api.store.complete_outcome(&claim, &refund).await?;
        Ok(refund)
    };
    idempotent(
        &api.store,
        &keyed,
        admin.caller().id(),
        &route,
        work,
        created,
    )
    .await
}

fn created(refund: Refund) -> Result<Response<Body>, Error> {
    json(StatusCode::CREATED, &refund)
}
