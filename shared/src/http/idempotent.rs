//! `Idempotency-Key` over HTTP: read the header, replay or refuse, run the
//! work under a claim, and record what the client was answered (a `5xx`
//! releases the key instead, so a retry can run at once).

use super::problem;
use crate::Error;
use crate::config;
use crate::domain::{Timestamp, UserId};
use crate::idempotency::{
    self, Begin, Claim, Fingerprinter, IdempotencyKey, IdempotencyStore, StoredResponse,
};
use lambda_http::http::header;
use lambda_http::{Body, Request, Response};
use std::future::Future;

/// The idempotency records of a service, kept in `table`.
pub fn idempotency_from_env(
    client: aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<IdempotencyStore, lambda_http::Error> {
    let secret = config::required(config::IDEMPOTENCY_SECRET)?;
    let fingerprints = Fingerprinter::new(secret.as_bytes())
        .map_err(|e| format!("{}: {e}", config::IDEMPOTENCY_SECRET))?;
    let lock = config::number_or(config::IDEMPOTENCY_LOCK_SECONDS, 10)? as i64;
    Ok(IdempotencyStore::new(client, table, fingerprints, lock))
}

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

/// Runs `work` once per key: a retry with the same body gets the stored
/// answer (`Idempotent-Replayed: true`), another body `422`, a concurrent
/// one `409`. `respond` turns the work's value into the answer.
pub async fn idempotent<T, Fut>(
    store: &IdempotencyStore,
    req: &Request,
    caller: &UserId,
    route: &str,
    key: &IdempotencyKey,
    work: impl FnOnce(Claim) -> Fut,
    respond: impl FnOnce(T) -> Result<Response<Body>, Error>,
) -> Result<Response<Body>, Error>
where
    Fut: Future<Output = Result<T, Error>>,
{
    let scope = idempotency::Scope {
        caller: caller.as_str(),
        method: req.method().as_str(),
        route,
    };
    let now = Timestamp::now().unix_seconds();
    let claim = match store.begin(&scope, key, req.body().as_ref(), now).await? {
        Begin::Proceed(claim) => claim,
        Begin::Replay(stored) => return replay(&stored),
        Begin::InProgress => return Err(Error::IdempotencyInProgress),
        Begin::Mismatch => return Err(Error::IdempotencyKeyMismatch),
    };
    match work(claim.clone()).await {
        Ok(value) => respond(value),
        // Another request holds the key now; it records its own answer.
        Err(Error::IdempotencyInProgress) => Err(Error::IdempotencyInProgress),
        Err(error @ Error::Internal { .. }) => {
            store.abandon(&claim).await?;
            Err(error)
        }
        // A refusal is replayed like a success (recording it twice, when the
        // work already did in its transaction, stores the same answer).
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
