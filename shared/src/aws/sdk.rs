//! The SDK configuration every function builds once at init.
//!
//! Built by hand from the variables Lambda sets (`AWS_REGION`, and the
//! execution role's `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN`) and the standard endpoint overrides
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), instead of by
//! aws-config's provider chains: init reads a few variables and touches no
//! file and no network, and the binaries carry no profile, IMDS, ECS, STS or
//! SSO code. A Lambda function gets its credentials exactly this way (they do
//! not change for the life of an instance); elsewhere, set the same variables.

use crate::wiring::ConfigError;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::{RetryConfig, TimeoutConfig};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use std::collections::HashMap;
use std::time::Duration;

/// The SDK configuration from the environment, with timeouts: a dependency
/// that stops answering fails the request within the function's timeout
/// instead of hanging it (an attempt gets 3 s, retries included 8 s).
pub fn sdk_config() -> Result<SdkConfig, ConfigError> {
    from_variables(std::env::vars())
}

/// [`sdk_config`] from the given variables rather than the process's.
pub fn from_variables(
    variables: impl IntoIterator<Item = (String, String)>,
) -> Result<SdkConfig, ConfigError> {
    let variables: HashMap<String, String> = variables
        .into_iter()
        .filter(|(name, value)| name.starts_with("AWS_") && !value.trim().is_empty())
        .collect();
    let var = |name: &'static str| {
        variables
            .get(name)
            .cloned()
            .ok_or(ConfigError::Missing(name))
    };
    let region = var("AWS_REGION")
        .or_else(|_| var("AWS_DEFAULT_REGION"))
        .map_err(|_| ConfigError::Missing("AWS_REGION"))?;
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN").ok(),
        None,
        "environment",
    );
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .http_client(http_client());
    builder.set_sleep_impl(aws_smithy_async::rt::sleep::default_async_sleep());
    if let Ok(url) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(url);
    }
    let overrides = EndpointOverrides(
        variables
            .into_iter()
            .filter(|(name, _)| name.starts_with("AWS_ENDPOINT_URL_"))
            .collect(),
    );
    Ok(builder.service_config(overrides).build())
}

/// The variable that overrides one service's endpoint, as aws-config names it:
/// `AWS_ENDPOINT_URL_` and the service id in upper case, spaces as `_`.
pub fn endpoint_variable(service_id: &str) -> String {
    format!(
        "AWS_ENDPOINT_URL_{}",
        service_id.to_ascii_uppercase().replace(' ', "_")
    )
}

/// The `AWS_ENDPOINT_URL_<SERVICE>` variables, which a service client looks
/// up (by its service id) when it is built.
#[derive(Debug)]
struct EndpointOverrides(HashMap<String, String>);

impl LoadServiceConfig for EndpointOverrides {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if key.env() != "AWS_ENDPOINT_URL" {
            return None;
        }
        self.0.get(&endpoint_variable(key.service_id())).cloned()
    }
}

/// One HTTP client for every SDK client: plain HTTP for `http://` endpoints
/// (the local emulators), rustls with ring for everything else. The TLS
/// connector, and with it the system's root certificates, is made on the
/// first `https://` request, so a function whose endpoints are all plain HTTP
/// does no TLS work. The CLI, the local stack and the tests give it to
/// aws-config too, so every binary has one TLS stack.
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(ByScheme {
        http: aws_smithy_http_client::Builder::new().build_http(),
        https: aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https(),
    })
}

#[derive(Debug)]
struct ByScheme {
    http: SharedHttpClient,
    https: SharedHttpClient,
}

impl HttpClient for ByScheme {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // Both clients cache their connectors by settings; the HTTPS one is
        // asked for its connector only when a request needs it.
        SharedHttpConnector::new(BySchemeConnector {
            http: self.http.http_connector(settings, components),
            https: self.https.clone(),
            settings: settings.clone(),
            components: components.clone(),
        })
    }
}

#[derive(Debug)]
struct BySchemeConnector {
    http: SharedHttpConnector,
    https: SharedHttpClient,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
}

impl HttpConnector for BySchemeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if request.uri().starts_with("http://") {
            self.http.call(request)
        } else {
            self.https
                .http_connector(&self.settings, &self.components)
                .call(request)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn endpoint_variables_are_named_as_aws_config_names_them() {
        assert_eq!(endpoint_variable("DynamoDB"), "AWS_ENDPOINT_URL_DYNAMODB");
        assert_eq!(
            endpoint_variable("Secrets Manager"),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER"
        );
    }

    #[test]
    fn a_missing_region_or_credential_is_named() {
        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let vars = variables(&[]).into_iter().filter(|(k, _)| k != missing);
            match from_variables(vars) {
                Err(ConfigError::Missing(name)) => assert_eq!(name, missing),
                other => panic!("{missing}: {other:?}"),
            }
        }
    }

    async fn listener() -> (tokio::net::TcpListener, u16) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        (listener, port)
    }

    /// The first bytes `listener` is sent, or `None` if nobody connects in time.
    async fn first_bytes(listener: &tokio::net::TcpListener) -> Option<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let accepted = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await;
        let (mut socket, _) = accepted.ok()?.ok()?;
        let mut bytes = vec![0; 8];
        socket.read_exact(&mut bytes).await.ok()?;
        Some(bytes)
    }

    #[tokio::test]
    async fn http_endpoints_get_plain_http_and_https_ones_tls() {
        let (plain, plain_port) = listener().await;
        let (tls, tls_port) = listener().await;
        let sdk = from_variables(variables(&[
            (
                "AWS_ENDPOINT_URL_DYNAMODB",
                &format!("http://127.0.0.1:{plain_port}"),
            ),
            (
                "AWS_ENDPOINT_URL_SQS",
                &format!("https://127.0.0.1:{tls_port}"),
            ),
        ]))
        .unwrap();
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let calls = tokio::spawn(async move {
            let _ = futures::join!(dynamodb.list_tables().send(), sqs.list_queues().send());
        });
        let request = first_bytes(&plain).await.unwrap();
        assert_eq!(&request[..5], b"POST ");
        // A TLS handshake record: the ClientHello.
        let hello = first_bytes(&tls).await.unwrap();
        assert_eq!((hello[0], hello[1]), (0x16, 0x03), "{hello:?}");
        calls.abort();
    }

    #[tokio::test]
    async fn a_service_without_its_own_endpoint_uses_aws_endpoint_url() {
        let (global, global_port) = listener().await;
        let (own, own_port) = listener().await;
        let sdk = from_variables(variables(&[
            (
                "AWS_ENDPOINT_URL",
                &format!("http://127.0.0.1:{global_port}"),
            ),
            (
                "AWS_ENDPOINT_URL_DYNAMODB",
                &format!("http://127.0.0.1:{own_port}"),
            ),
        ]))
        .unwrap();
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let calls = tokio::spawn(async move {
            let _ = futures::join!(dynamodb.list_tables().send(), sqs.list_queues().send());
        });
        assert!(
            first_bytes(&own).await.is_some(),
            "DynamoDB used its own endpoint"
        );
        assert!(
            first_bytes(&global).await.is_some(),
            "SQS used AWS_ENDPOINT_URL"
        );
        calls.abort();
    }
}
