use lambda_http::{Error, run, service_fn};
use shared::http::{serve, shipping};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::ShippingApi::from_env()?;
    run(service_fn(|req| serve(req, &api, shipping::put))).await
}
