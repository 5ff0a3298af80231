//! `GET` and `POST /users/me/addresses`, `PATCH` and `DELETE
//! /users/me/addresses/{id}`.

use super::{Caller, FromRequest, JsonBody, json, no_content, path_id, with_location};
use crate::Error;
use crate::addresses;
use crate::domain::address::{
    AddressFields, AddressId, AddressPatch, Country, Line, OptionalLine, Phone, PostalCode,
};
use crate::wiring::UsersApi;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// What a `PATCH` may change.
const FIELDS: [&str; 9] = [
    "name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "is_default",
];

/// `is_default`: a boolean when present.
fn flag(body: &mut JsonBody) -> Option<Option<bool>> {
    if !body.has("is_default") {
        return Some(None);
    }
    match body.required_value("is_default") {
        Some(Value::Bool(b)) => Some(Some(b)),
        _ => {
            body.reject("is_default", "must be true or false");
            None
        }
    }
}

/// `phone`: a string, or `null` for none.
fn phone(body: &mut JsonBody) -> Option<Option<Option<Phone>>> {
    if !body.has("phone") {
        return Some(None);
    }
    match body.required_value("phone") {
        Some(Value::Null) => Some(Some(None)),
        Some(Value::String(text)) => match Phone::parse(&text) {
            Ok(phone) => Some(Some(Some(phone))),
            Err(message) => {
                body.reject("phone", message);
                None
            }
        },
        _ => {
            body.reject("phone", "must be a string or null");
            None
        }
    }
}

/// The body of `POST /users/me/addresses`.
pub struct NewAddress {
    pub fields: AddressFields,
    pub is_default: bool,
}

/// An address's fields from `body` (a request's, or an object inside one),
/// each offending field rejected on it.
pub fn address_fields(body: &mut JsonBody) -> Option<AddressFields> {
    let name = body.required("name", Line::parse);
    let line1 = body.required("line1", Line::parse);
    let line2 = body
        .optional("line2", OptionalLine::parse)
        .unwrap_or_default();
    let city = body.required("city", Line::parse);
    let region = body
        .optional("region", OptionalLine::parse)
        .unwrap_or_default();
    let postal_code = body.required("postal_code", PostalCode::parse);
    let country = body.required("country", Country::parse);
    let phone = phone(body);
    Some(AddressFields {
        name: name?,
        line1: line1?,
        line2,
        city: city?,
        region,
        postal_code: postal_code?,
        country: country?,
        phone: phone?.flatten(),
    })
}

impl<S> FromRequest<S> for NewAddress {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let fields = address_fields(&mut body);
        let is_default = flag(&mut body);
        let parsed = fields.zip(is_default).map(|(fields, is_default)| Self {
            fields,
            is_default: is_default.unwrap_or(false),
        });
        body.finish_with(parsed)
    }
}

impl<S> FromRequest<S> for AddressPatch {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        if !FIELDS.iter().any(|field| body.has(field)) {
            body.reject("body", "must change at least one field");
        }
        let patch = AddressPatch {
            name: body.optional("name", Line::parse),
            line1: body.optional("line1", Line::parse),
            line2: body.optional("line2", OptionalLine::parse),
            city: body.optional("city", Line::parse),
            region: body.optional("region", OptionalLine::parse),
            postal_code: body.optional("postal_code", PostalCode::parse),
            country: body.optional("country", Country::parse),
            phone: None,
            is_default: None,
        };
        let phone = phone(&mut body);
        let is_default = flag(&mut body);
        let parsed = phone
            .zip(is_default)
            .map(|(phone, is_default)| AddressPatch {
                phone,
                is_default,
                ..patch
            });
        body.finish_with(parsed)
    }
}

impl<S> FromRequest<S> for AddressId {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        path_id(req, AddressId::parse, Error::AddressNotFound)
    }
}

/// `GET /users/me/addresses`: the caller's, oldest first (at most ten, so
/// one page).
pub async fn list(api: &UsersApi, caller: Caller) -> Result<Response<Body>, Error> {
    let items = addresses::list(&api.users, caller.id()).await?;
    json(
        StatusCode::OK,
        &serde_json::json!({ "items": items, "next_cursor": null }),
    )
}

/// `POST /users/me/addresses`
pub async fn create(
    api: &UsersApi,
    (caller, new): (Caller, NewAddress),
) -> Result<Response<Body>, Error> {
    let address = addresses::create(
        &api.users,
        (caller.id(), caller.issued_at_ms()),
        new.fields,
        new.is_default,
    )
    .await?;
    let response = json(StatusCode::CREATED, &address)?;
    Ok(with_location(
        response,
        &format!("/users/me/addresses/{}", address.id),
    ))
}

/// `PATCH /users/me/addresses/{id}`
pub async fn update(
    api: &UsersApi,
    (caller, id, patch): (Caller, AddressId, AddressPatch),
) -> Result<Response<Body>, Error> {
    let address =
        addresses::update(&api.users, (caller.id(), caller.issued_at_ms()), &id, patch).await?;
    json(StatusCode::OK, &address)
}

/// `DELETE /users/me/addresses/{id}`
pub async fn delete(
    api: &UsersApi,
    (caller, id): (Caller, AddressId),
) -> Result<Response<Body>, Error> {
    addresses::delete(&api.users, (caller.id(), caller.issued_at_ms()), &id).await?;
    no_content()
}
