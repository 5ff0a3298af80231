use lambda_http::{Error, run, service_fn};
use shared::http::{serve, users};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::AccountApi::from_env()?;
    run(service_fn(|req| serve(req, &api, users::update_me))).await
}
