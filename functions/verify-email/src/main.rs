use lambda_http::{Error, run, service_fn};
use shared::http::{serve, users};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::UsersApi::from_env()?;
    run(service_fn(|req| serve(req, &api, users::verify_email))).await
}
