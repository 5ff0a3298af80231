use lambda_http::{Error, run, service_fn};
use shared::http::products::AdminProducts;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let handler = AdminProducts::from_env().await?;
    run(service_fn(|req| handler.update(req))).await
}
