//! `GET /shipping-options`, `PUT /shipping-options/{id}` and
//! `DELETE /shipping-options/{id}` (admin).

use super::list::query;
use super::products::IfMatch;
use super::{Admin, Caller, FromRequest, JsonBody, json, no_content};
use crate::Error;
use crate::domain::Version;
use crate::domain::address::Country;
use crate::domain::shipping::{self, ShippingName, ShippingOption, ShippingOptionId};
use crate::wiring::ShippingApi;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::Value;

impl<S> FromRequest<S> for ShippingOptionId {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        super::path_id(
            req,
            |s| ShippingOptionId::parse(s).ok(),
            Error::ShippingOptionNotFound,
        )
    }
}

/// The `?country=` filter.
pub struct CountryFilter(pub Option<Country>);

impl<S> FromRequest<S> for CountryFilter {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        query(req, "country")
            .map(|c| Country::parse(&c).map_err(|m| Error::validation("country", m)))
            .transpose()
            .map(Self)
    }
}

/// The body of `PUT /shipping-options/{id}`: the whole option. `id`, when
/// sent (a client putting back what it read), must be the path's.
pub fn option_body(req: &Request, id: ShippingOptionId) -> Result<ShippingOption, Error> {
    let mut body = JsonBody::from_request(req)?;
    if let Some(sent) = body.optional("id", |s| Ok(s.to_owned()))
        && sent != id.as_str()
    {
        body.reject("id", "must be the id in the path");
    }
    let name = body.required("name", ShippingName::parse);
    let amount_cents = body.required_int("amount_cents", shipping::amount);
    let free_over_cents = match body.has("free_over_cents") {
        false => None,
        true => match body.required_value("free_over_cents") {
            Some(Value::Null) | None => None,
            Some(value) => match super::body::integer(&value).and_then(shipping::threshold) {
                Ok(cents) => Some(cents),
                Err(message) => {
                    body.reject("free_over_cents", message);
                    None
                }
            },
        },
    };
    let active = match body.has("active") {
        false => true,
        true => match body.required_value("active") {
            Some(Value::Bool(active)) => active,
            _ => {
                body.reject("active", "must be true or false");
                true
            }
        },
    };
    let mut countries = Vec::new();
    match body.required_value("countries") {
        None => {}
        Some(Value::Array(codes)) if codes.len() <= shipping::MAX_COUNTRIES => {
            for (i, code) in codes.iter().enumerate() {
                match code.as_str().map(Country::parse) {
                    Some(Ok(country)) => countries.push(country),
                    Some(Err(message)) => body.reject(&format!("countries[{i}]"), message),
                    None => body.reject(&format!("countries[{i}]"), "must be a string"),
                }
            }
        }
        Some(Value::Array(_)) => body.reject(
            "countries",
            format!("must have at most {} countries", shipping::MAX_COUNTRIES),
        ),
        Some(_) => body.reject("countries", "must be an array of country codes"),
    }
    let countries = match shipping::countries(countries) {
        Ok(countries) => Some(countries),
        Err(message) => {
            body.reject("countries", message);
            None
        }
    };
    let (name, (amount_cents, countries)) =
        body.finish_with(name.zip(amount_cents.zip(countries)))?;
    Ok(ShippingOption {
        id,
        name,
        countries,
        amount_cents,
        free_over_cents,
        active,
    })
}

impl<S> FromRequest<S> for ShippingOption {
    fn from_request(req: &Request, state: &S) -> Result<Self, Error> {
        let id = ShippingOptionId::from_request(req, state)?;
        option_body(req, id)
    }
}

/// `GET /shipping-options`: the active options; an admin sees every one.
pub async fn list(
    api: &ShippingApi,
    (caller, CountryFilter(country)): (Option<Caller>, CountryFilter),
) -> Result<Response<Body>, Error> {
    let admin = caller.is_some_and(|c| c.is_admin());
    let items = api.shipping.list(country.as_ref(), admin).await?;
    json(StatusCode::OK, &serde_json::json!({ "items": items }))
}

fn with_etag(mut response: Response<Body>, version: Version) -> Response<Body> {
    if let Ok(etag) = HeaderValue::from_str(&version.etag()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `PUT /shipping-options/{id}` (admin): creates or replaces the option.
pub async fn put(
    api: &ShippingApi,
    (_, IfMatch(if_match), option): (Admin, IfMatch, ShippingOption),
) -> Result<Response<Body>, Error> {
    let version = api.shipping.put(&option, if_match).await?;
    Ok(with_etag(json(StatusCode::OK, &option)?, version))
}

/// `DELETE /shipping-options/{id}` (admin). Orders keep their copy.
pub async fn delete(
    api: &ShippingApi,
    (_, id): (Admin, ShippingOptionId),
) -> Result<Response<Body>, Error> {
    api.shipping.delete(&id).await?;
    no_content()
}
