use lambda_runtime::{Error, run, service_fn};
use shared::notifications::Notifier;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let notifier = Notifier::from_env()?;
    run(service_fn(|event| notifier.handle(event))).await
}
