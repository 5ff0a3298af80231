//! The order handlers and the expiry sweeper, called with their sample events.

use crate::common;

use common::{event, token};
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde_json::Value;
use shared::domain::Role;
use shared::http::{orders, serve};
use shared::sweepers::ExpireOrders;
use shared::wiring::{CancelApi, Idempotent, Listing, OrdersApi};

fn request(mut event: Value, auth: &str, id: Option<&str>) -> Request {
    event["headers"]["authorization"] = format!("Bearer {auth}").into();
    if let Some(id) = id {
        event["pathParameters"]["id"] = id.into();
    }
    lambda_http::request::from_str(&event.to_string())
        .expect("sample event parses")
        .with_lambda_context(Context::default())
}

fn parts(response: Response<Body>) -> (u16, Value, Response<Body>) {
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body, response)
}

#[tokio::test]
async fn sample_events_drive_the_order_functions() {
    let (create, list, by_id) = (
        Idempotent::from_env(OrdersApi::from_env().unwrap()).unwrap(),
        Listing::from_env(OrdersApi::from_env().unwrap()).unwrap(),
        OrdersApi::from_env().unwrap(),
    );
    // A customer of our own; the event orders two of the first demo product.
    let me = token(Role::Customer);
    let (status, order, response) = parts(
        serve(
            request(event("create-order.json"), &me, None),
            &create,
            orders::create,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["items"][0]["quantity"], 2);
    // The event carries an Idempotency-Key: sending it again replays.
    let (status, again, replayed) = parts(
        serve(
            request(event("create-order.json"), &me, None),
            &create,
            orders::create,
        )
        .await
        .unwrap(),
    );
    assert_eq!((status, &again), (201, &order));
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert!(response.headers().get("idempotent-replayed").is_none());

    let id = order["id"].as_str().unwrap();
    let (status, page, _) = parts(
        serve(
            request(event("list-orders.json"), &me, None),
            &list,
            orders::list,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(page["items"][0], order);
    let (status, got, _) = parts(
        serve(
            request(event("get-order.json"), &me, Some(id)),
            &by_id,
            orders::get,
        )
        .await
        .unwrap(),
    );
    assert_eq!((status, &got), (200, &order));
    let (status, cancelled, _) = parts(
        serve(
            request(event("cancel-order.json"), &me, Some(id)),
            &CancelApi::from_env().unwrap(),
            orders::cancel,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    let (status, body, _) = parts(
        serve(
            request(event("get-order.json"), &me, None),
            &by_id,
            orders::get,
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("order_not_found"))
    );
}

#[tokio::test]
async fn the_sample_scheduled_event_drives_the_sweeper() {
    let sweeper = ExpireOrders::from_env().unwrap();
    let payload: Value = event("expire-orders.json");
    let sweep = sweeper
        .handle(lambda_http::lambda_runtime::LambdaEvent::new(
            payload,
            Default::default(),
        ))
        .await
        .unwrap();
    assert_eq!(sweep.failed, 0);
}
