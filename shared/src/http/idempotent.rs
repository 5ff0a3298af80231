//! `Idempotency-Key` over HTTP, one way: claim the key, run the use case
//! under the claim (it records its outcome with its writes), render the
//! outcome with the route's one renderer, the first time and on a replay.
//! A refusal is rendered and recorded here; a `5xx` or a `429` releases
//! the key instead, so a retry can run at once (or after `Retry-After`).

use super::{FromRequest, problem};
use crate::Error;
use crate::aws::IdempotencyStore;
use crate::domain::{Timestamp, UserId};
use crate::idempotency::{self, Begin, Claim, IdempotencyKey, Recorded, StoredResponse};
use lambda_http::http::HeaderValue;
use lambda_http::http::header;
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use std::future::Future;

/// A response as it was stored, sent again.
pub fn replay(stored: &StoredResponse) -> Result<Response<Body>, Error> {
    let mut builder = Response::builder()
        .status(stored.status)
        .header(header::CONTENT_TYPE, &stored.content_type)
        .header(idempotency::REPLAYED_HEADER, "true");
    if let Some(location) = &stored.location {
        builder = builder.header(header::LOCATION, location);
    }
    builder
        .body(Body::Text(stored.body.clone()))
        .map_err(Error::internal("building a replayed response"))
}

/// How an error is stored for replay: as the problem document it is answered with.
pub fn stored_problem(error: &Error) -> StoredResponse {
    let response = problem::response(error);
    StoredResponse {
        status: response.status().as_u16(),
        body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        content_type: problem::CONTENT_TYPE.into(),
        location: None,
    }
}

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, Error> {
    req.headers()
        .get(idempotency::HEADER)
        .map(|v| {
            v.to_str()
                .map_err(|_| "must be visible ASCII".to_owned())
                .and_then(IdempotencyKey::parse)
                .map_err(|m| Error::validation("Idempotency-Key", m))
        })
        .transpose()
}

/// A request under an `Idempotency-Key`: the key, and what its fingerprint
/// is taken of. As `Option<Keyed>` the header may be left out; as `Keyed`
/// it is required (`400 idempotency_key_required`).
pub struct Keyed {
    pub key: IdempotencyKey,
    method: String,
    body: Vec<u8>,
}

impl<S> FromRequest<S> for Option<Keyed> {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        Ok(idempotency_key(req)?.map(|key| Keyed {
            key,
            method: req.method().as_str().to_owned(),
            body: req.body().as_ref().to_vec(),
        }))
    }
}

impl<S> FromRequest<S> for Keyed {
    fn from_request(req: &Request, state: &S) -> Result<Self, Error> {
        Option::<Keyed>::from_request(req, state)?.ok_or(Error::IdempotencyKeyRequired)
    }
}

/// Runs `work` once per key: a retry with the same body gets the same
/// answer (`Idempotent-Replayed: true`), another body `422`, a concurrent
/// one `409`. `render` turns the work's outcome into the answer, and the
/// outcome the work recorded into the same answer again.
pub async fn idempotent<T, Fut>(
    store: &IdempotencyStore,
    request: &Keyed,
    caller: &UserId,
    route: &str,
    work: impl FnOnce(Claim) -> Fut,
    render: impl FnOnce(T) -> Result<Response<Body>, Error>,
) -> Result<Response<Body>, Error>
where
    T: DeserializeOwned,
    Fut: Future<Output = Result<T, Error>>,
{
    let scope = idempotency::Scope {
        caller: caller.as_str(),
        method: &request.method,
        route,
    };
    let now = Timestamp::now().unix_seconds();
    let claim = match store
        .begin(&scope, &request.key, &request.body, now)
        .await?
    {
        Begin::Proceed(claim) => claim,
        Begin::Replay(Recorded::Outcome(json)) => {
            let outcome = serde_json::from_str(&json)
                .map_err(Error::internal("reading a recorded outcome"))?;
            let mut response = render(outcome)?;
            response.headers_mut().insert(
                idempotency::REPLAYED_HEADER,
                HeaderValue::from_static("true"),
            );
            return Ok(response);
        }
        Begin::Replay(Recorded::Refusal(stored)) => return replay(&stored),
        Begin::InProgress => return Err(Error::IdempotencyInProgress),
        Begin::Mismatch => return Err(Error::IdempotencyKeyMismatch),
    };
    match work(claim.clone()).await {
        Ok(outcome) => render(outcome),
        // Another request holds the key now; it records its own answer.
        Err(Error::IdempotencyInProgress) => Err(Error::IdempotencyInProgress),
        // A failure, or a rate limit's refusal (as Stripe, not recorded):
        // the key may be used again at once, or after Retry-After.
        Err(error @ (Error::Internal { .. } | Error::TooManyAttempts { .. })) => {
            store.abandon(&claim).await?;
            Err(error)
        }
        // A refusal wrote nothing: it is recorded as the problem it is.
        Err(error) => {
            store.complete(&claim, &stored_problem(&error)).await?;
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn with_key(value: HeaderValue) -> Request {
        lambda_http::http::Request::builder()
            .header(idempotency::HEADER, value)
            .body(Body::Empty)
            .unwrap()
    }

    #[test]
    fn a_key_that_is_not_visible_ascii_is_422() {
        for value in [
            HeaderValue::from_bytes(b"\xd7\xf8\x9b").unwrap(),
            HeaderValue::from_static("two words"),
            HeaderValue::from_static(""),
        ] {
            match idempotency_key(&with_key(value.clone())) {
                Err(Error::Validation(errors)) => assert_eq!(errors[0].field, "Idempotency-Key"),
                other => panic!(
                    "{value:?}: {:?}",
                    other.map(|k| k.map(|k| k.as_str().to_owned()))
                ),
            }
        }
        let key = idempotency_key(&with_key(HeaderValue::from_static("9b2f6c1e"))).unwrap();
        assert_eq!(
            key.map(|k| k.as_str().to_owned()).as_deref(),
            Some("9b2f6c1e")
        );
    }
}
