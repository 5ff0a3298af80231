use lambda_http::{Error, run, service_fn};
use shared::http::{notifications, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let api = shared::wiring::NotificationsApi::from_env()?;
    run(service_fn(|req| serve(req, &api, notifications::enqueue))).await
}
