//! The token signing key, read from Secrets Manager once per instance. Only the
//! login function is built with this (and only its role may read the secret).

use crate::Error;
use crate::auth::{SigningKey, TokenSigner};
use tokio::sync::OnceCell;

pub struct SigningKeyStore {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    issuer: String,
    audience: String,
    signer: OnceCell<TokenSigner>,
}

impl SigningKeyStore {
    pub fn new(
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        issuer: String,
        audience: String,
    ) -> Self {
        Self {
            client,
            secret_id,
            issuer,
            audience,
            signer: OnceCell::new(),
        }
    }

    /// The signer, fetched on first use and cached; a failed fetch is retried
    /// on the next request rather than cached.
    pub async fn signer(&self) -> Result<&TokenSigner, Error> {
        self.signer
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_secret_value()
                    .secret_id(&self.secret_id)
                    .send()
                    .await
                    .map_err(Error::internal("reading the signing key secret"))?;
                let text = out.secret_string().ok_or_else(|| {
                    Error::internal("reading the signing key secret")(
                        "the secret has no string value",
                    )
                })?;
                let key: SigningKey = serde_json::from_str(text)
                    .map_err(Error::internal("parsing the signing key secret"))?;
                TokenSigner::new(&key, &self.issuer, &self.audience)
            })
            .await
    }
}
