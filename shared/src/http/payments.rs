//! `POST /payments` and `GET /payments/{id}`.

use super::idempotent::{Keyed, idempotent};
use super::problem;
use super::{Caller, FromRequest, JsonBody, SourceIp, json, path_id, with_location};
use crate::Error;
use crate::domain::OrderId;
use crate::domain::payment::{PaymentId, PaymentMethod};
use crate::payments::Charged;
use crate::users;
use crate::wiring::{Idempotent, PaymentsApi};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// The body of `POST /payments`: `{"order_id", "payment_method"}`.
pub fn payment_body(req: &Request) -> Result<(OrderId, PaymentMethod), Error> {
    let mut body = JsonBody::from_request(req)?;
    // An id that is not one cannot name an order: 404, like a stranger's.
    let order_id = body.required("order_id", |s| Ok(OrderId::parse(s)));
    let method = body.required("payment_method", PaymentMethod::parse);
    let (order_id, method) = body.finish_with(order_id.zip(method))?;
    Ok((order_id.ok_or(Error::OrderNotFound)?, method))
}

/// The `{id}` path parameter as a payment id; anything else cannot exist.
pub fn payment_id(req: &Request) -> Result<PaymentId, Error> {
    path_id(req, PaymentId::parse, Error::PaymentNotFound)
}

impl<S> FromRequest<S> for PaymentId {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        payment_id(req)
    }
}

/// The body of `POST /payments`.
pub struct PaymentRequest {
    pub order_id: OrderId,
    pub method: PaymentMethod,
}

impl<S> FromRequest<S> for PaymentRequest {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let (order_id, method) = payment_body(req)?;
        Ok(Self { order_id, method })
    }
}

/// `POST /payments`: always under an `Idempotency-Key`.
pub async fn pay(
    api: &Idempotent<PaymentsApi>,
    (caller, SourceIp(source_ip), keyed, request): (Caller, SourceIp, Keyed, PaymentRequest),
) -> Result<Response<Body>, Error> {
    let (payer, request, source_ip) = (caller.id(), &request, &source_ip);
    users::ensure_current(&api.payments.users, payer, caller.issued_at_ms()).await?;
    let work = move |claim| async move {
        api.payments
            .pay(
                payer,
                &request.order_id,
                &request.method,
                source_ip,
                (&api.store, &claim),
            )
            .await
    };
    idempotent(&api.store, &keyed, payer, "/payments", work, charged).await
}

/// The answer to a charge: `201` with the payment, or the decline's `402`.
fn charged(outcome: Charged) -> Result<Response<Body>, Error> {
    match outcome {
        Charged::Paid(payment) => {
            let response = json(StatusCode::CREATED, &payment)?;
            Ok(with_location(
                response,
                &format!("/payments/{}", payment.id),
            ))
        }
        Charged::Declined { code, payment_id } => Ok(problem::response(&Error::PaymentDeclined {
            code,
            payment_id: payment_id.to_string(),
        })),
    }
}

/// `GET /payments/{id}`: the caller's own.
pub async fn get(
    api: &PaymentsApi,
    (caller, id): (Caller, PaymentId),
) -> Result<Response<Body>, Error> {
    json(StatusCode::OK, &api.payments.get(caller.id(), &id).await?)
}
