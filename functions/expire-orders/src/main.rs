use lambda_runtime::{Error, run, service_fn};
use shared::sweepers::ExpireOrders;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sweeper = ExpireOrders::from_env()?;
    run(service_fn(|event| sweeper.handle(event))).await
}
