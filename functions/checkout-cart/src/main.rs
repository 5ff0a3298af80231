use lambda_http::{Error, run, service_fn};
use shared::http::{orders, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::OrdersApi::from_env()?.idempotent()?;
    run(service_fn(|req| serve(req, &api, orders::checkout))).await
}
