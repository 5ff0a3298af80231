use lambda_http::{Error, run, service_fn};
use shared::http::{not_found, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    // A function with no state of its own.
    run(service_fn(|req| serve(req, &(), not_found::not_found))).await
}
