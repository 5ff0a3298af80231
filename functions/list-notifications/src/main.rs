use lambda_http::{Error, run, service_fn};
use shared::http::notifications::ReadNotifications;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let handler = ReadNotifications::from_env(true).await?;
    run(service_fn(|req| handler.list(req))).await
}
