use lambda_http::{Error, run, service_fn};
use shared::http::{cart, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::CartApi::from_env()?;
    run(service_fn(|req| serve(req, &api, cart::clear))).await
}
