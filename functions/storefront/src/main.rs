use lambda_http::{Error, run, service_fn};
use shared::http::{serve, storefront};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::StorefrontApi::new();
    run(service_fn(|req| serve(req, &api, storefront::storefront))).await
}
