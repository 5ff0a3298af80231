//! `POST /payments` and `GET /payments/{id}`.

use super::auth::bearer;
use super::idempotent::{idempotency_from_env, idempotency_key, idempotent, stored_problem};
use super::{HandlerResult, JsonBody, json, serve};
use crate::Error;
use crate::auth::TokenVerifier;
use crate::aws::transact::RetryPolicy;
use crate::aws::{EventQueue, OrdersTable, PaymentsTable, UsersTable, sdk_config};
use crate::config::{self, ConfigError};
use crate::domain::payment::{PaymentId, PaymentMethod};
use crate::domain::{OrderId, UserId};
use crate::idempotency::IdempotencyStore;
use crate::payments::Payments;
use crate::payments::provider::Simulator;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Request, RequestExt};

/// The provider `PAYMENT_PROVIDER` names; only the simulator is built in.
fn provider_from_env() -> Result<Simulator, ConfigError> {
    match std::env::var(config::PAYMENT_PROVIDER).as_deref() {
        Ok("simulator") | Err(_) => Ok(Simulator),
        Ok(other) => Err(ConfigError::Invalid {
            name: config::PAYMENT_PROVIDER,
            reason: format!("{other:?} is not a provider this build has (simulator)"),
        }),
    }
}

/// The payments service as configured by the environment.
pub async fn payments_from_env() -> Result<Payments<Simulator>, ConfigError> {
    let sdk = sdk_config()?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    Ok(Payments {
        payments: PaymentsTable::new(dynamodb.clone(), config::required(config::PAYMENTS_TABLE)?),
        orders: OrdersTable::new(dynamodb.clone(), config::required(config::ORDERS_TABLE)?),
        users: UsersTable::new(dynamodb, config::required(config::USERS_TABLE)?),
        queue: EventQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            config::required(config::PAYMENT_EVENTS_QUEUE_URL)?,
        ),
        provider: provider_from_env()?,
        retry: RetryPolicy::default(),
    })
}

fn caller(req: &Request, verifier: &TokenVerifier) -> Result<UserId, Error> {
    bearer(req, verifier)?
        .user_id()
        .ok_or(Error::Unauthorized("subject is not a user id"))
}

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
    req.path_parameters_ref()
        .and_then(|p| p.first("id"))
        .and_then(PaymentId::parse)
        .ok_or(Error::PaymentNotFound)
}

pub struct ProcessPayment {
    payments: Payments<Simulator>,
    verifier: TokenVerifier,
    idempotency: IdempotencyStore,
}

impl ProcessPayment {
    pub fn new(
        payments: Payments<Simulator>,
        verifier: TokenVerifier,
        idempotency: IdempotencyStore,
    ) -> Self {
        Self {
            payments,
            verifier,
            idempotency,
        }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let payments = payments_from_env().await?;
        let idempotency =
            idempotency_from_env(payments.payments.client().clone(), payments.payments.name())?;
        Ok(Self::new(
            payments,
            super::users::verifier_from_env()?,
            idempotency,
        ))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let user = caller(&req, &self.verifier)?;
            let key = idempotency_key(&req)?.ok_or(Error::IdempotencyKeyRequired)?;
            let (order_id, method) = payment_body(&req)?;

            let (payer, order, method) = (&user, &order_id, &method);
            let work = move |claim| async move {
                self.payments
                    .pay(
                        payer,
                        order,
                        method,
                        (&self.idempotency, &claim),
                        stored_problem,
                    )
                    .await
            };
            idempotent(
                &self.idempotency,
                &req,
                &user,
                "/payments",
                &key,
                work,
                |payment| {
                    let mut response = json(StatusCode::CREATED, &payment)?;
                    if let Ok(location) =
                        HeaderValue::from_str(&format!("/payments/{}", payment.id))
                    {
                        response.headers_mut().insert(header::LOCATION, location);
                    }
                    Ok(response)
                },
            )
            .await
        })
        .await
    }
}

pub struct GetPayment {
    payments: Payments<Simulator>,
    verifier: TokenVerifier,
}

impl GetPayment {
    pub fn new(payments: Payments<Simulator>, verifier: TokenVerifier) -> Self {
        Self { payments, verifier }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(
            payments_from_env().await?,
            super::users::verifier_from_env()?,
        ))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let user = caller(&req, &self.verifier)?;
            let id = payment_id(&req)?;
            json(StatusCode::OK, &self.payments.get(&user, &id).await?)
        })
        .await
    }
}
