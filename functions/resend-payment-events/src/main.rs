use lambda_runtime::{Error, run, service_fn};
use shared::sweepers::ResendPaymentEvents;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sweeper = ResendPaymentEvents::from_env()?;
    run(service_fn(|event| sweeper.handle(event))).await
}
