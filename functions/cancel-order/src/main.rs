use lambda_http::{Error, run, service_fn};
use shared::http::orders::OrderById;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let handler = OrderById::from_env().await?;
    run(service_fn(|req| handler.cancel(req))).await
}
