use lambda_http::{Error, run, service_fn};
use shared::http::notifications::EnqueueNotification;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let handler = EnqueueNotification::from_env().await?;
    run(service_fn(|req| handler.handle(req))).await
}
