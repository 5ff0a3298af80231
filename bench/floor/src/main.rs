//! The benchmark's floor: a bare `lambda_runtime` function that answers a
//! constant, so the runtime's own share of every figure is visible.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(serde_json::json!({"ok": true}))
    }))
    .await
}
