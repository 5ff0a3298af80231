//! `ferrocart`: the operator's command line. It talks to whatever endpoint the
//! standard AWS environment names (AWS, LocalStack, the local emulators).

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use clap::{Parser, Subcommand};
use shared::Error;
use shared::aws::{ProductsTable, UsersTable};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ferrocart",
    version,
    about = "Run a ferrocart shop: create admins, seed the demo catalogue, handle the dead-letter queue.",
    long_about = "Run a ferrocart shop: create admins, seed the demo catalogue, handle the dead-letter queue.\n\n\
        Uses the standard AWS environment (AWS_PROFILE, AWS_REGION, credentials, and \
        AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_DYNAMODB for LocalStack or DynamoDB Local). \
        Table names come from the flags, else from USERS_TABLE / PRODUCTS_TABLE, else from \
        the outputs of the CloudFormation stack named by --stack."
)]
struct Cli {
    /// The deployed stack whose outputs name the tables.
    #[arg(long, global = true, env = "FERROCART_STACK")]
    stack: Option<String>,
    /// The users table.
    #[arg(long, global = true, env = "USERS_TABLE")]
    users_table: Option<String>,
    /// The products table.
    #[arg(long, global = true, env = "PRODUCTS_TABLE")]
    products_table: Option<String>,
    /// The orders table (which holds the shipping options).
    #[arg(long, global = true, env = "ORDERS_TABLE")]
    orders_table: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an admin account. The password is read from standard input, or
    /// prompted for (twice) on a terminal; it is never a flag.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Load the demo catalogue (36 products in 6 categories) and the standard
    /// and express shipping options; running it again adds nothing.
    Seed,
    /// The payment-events dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
        /// The dead-letter queue's URL.
        #[arg(long, global = true, env = "EVENTS_DLQ_URL")]
        dlq_url: Option<String>,
        /// The queue to send messages back to.
        #[arg(long, global = true, env = "EVENTS_QUEUE_URL")]
        queue_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum DlqAction {
    /// Print the messages in the DLQ (they stay there).
    List,
    /// Send every message in the DLQ back to the queue, once the cause is fixed.
    Redrive,
}

struct Failure(String);

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Validation(errors) => Failure(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Error::UsernameTaken => Failure("that username is taken".into()),
            Error::EmailTaken => Failure("that e-mail address is taken".into()),
            other => Failure(format!("{other}: {}", error_chain(&other))),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut source = error.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(shared::aws::sdk::http_client())
        .load()
        .await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| {
            format!(
                "DynamoDB in {}",
                sdk.region()
                    .map(|r| r.to_string())
                    .unwrap_or("no region".into())
            )
        });
    match cli.command {
        Command::CreateAdmin {
            ref username,
            ref email,
        } => {
            let table = table_name(
                &cli,
                &sdk,
                cli.users_table.clone(),
                "UsersTableName",
                "users",
            )
            .await?;
            check_table(&dynamodb, &table, &endpoint).await?;
            let password = read_password()?;
            let users = UsersTable::new(dynamodb, table);
            let user = ops::create_admin(&users, username, email, &password).await?;
            println!(
                "created admin {} ({}), id {}",
                user.username.as_str(),
                user.email.as_str(),
                user.id
            );
        }
        Command::Seed => {
            let table = table_name(
                &cli,
                &sdk,
                cli.products_table.clone(),
                "ProductsTableName",
                "products",
            )
            .await?;
            check_table(&dynamodb, &table, &endpoint).await?;
            let products = ProductsTable::new(dynamodb.clone(), table);
            let seeded = ops::seed::seed(&products).await?;
            println!(
                "demo catalogue: {} products created, {} already there",
                seeded.created, seeded.present
            );
            let orders = table_name(
                &cli,
                &sdk,
                cli.orders_table.clone(),
                "OrdersTableName",
                "orders",
            )
            .await?;
            check_table(&dynamodb, &orders, &endpoint).await?;
            let options = shared::aws::ShippingOptions::new(dynamodb, orders);
            let seeded = ops::seed::seed_shipping(&options).await?;
            println!(
                "shipping options: {} created, {} already there",
                seeded.created, seeded.present
            );
        }
        Command::Dlq {
            ref action,
            ref dlq_url,
            ref queue_url,
        } => {
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let dlq = match dlq_url.clone() {
                Some(url) => url,
                None => {
                    output_or_fail(&cli, &sdk, "EventsDlqUrl", "--dlq-url or EVENTS_DLQ_URL")
                        .await?
                }
            };
            match action {
                DlqAction::List => {
                    let letters = ops::dlq::list(&sqs, &dlq).await.map_err(Failure)?;
                    for l in &letters {
                        println!(
                            "{}  received {} times  sent at {} ms\n  {}",
                            l.id, l.receives, l.sent_at_ms, l.body
                        );
                    }
                    println!("{} messages in the dead-letter queue", letters.len());
                }
                DlqAction::Redrive => {
                    let queue = match queue_url.clone() {
                        Some(url) => url,
                        None => {
                            output_or_fail(
                                &cli,
                                &sdk,
                                "EventsQueueUrl",
                                "--queue-url or EVENTS_QUEUE_URL",
                            )
                            .await?
                        }
                    };
                    let moved = ops::dlq::redrive(&sqs, &dlq, &queue)
                        .await
                        .map_err(Failure)?;
                    println!("{moved} messages sent back to the queue");
                }
            }
        }
    }
    Ok(())
}

/// A stack output, or an error naming the flag that would give it.
async fn output_or_fail(
    cli: &Cli,
    sdk: &aws_config::SdkConfig,
    output: &str,
    flag: &str,
) -> Result<String, Failure> {
    if cli.stack.is_none() {
        return Err(Failure(format!(
            "no queue URL: pass {flag}, or name the deployed stack with --stack"
        )));
    }
    table_name(cli, sdk, None, output, "queue").await
}

/// The flag or variable, else the stack output.
async fn table_name(
    cli: &Cli,
    sdk: &aws_config::SdkConfig,
    given: Option<String>,
    output: &str,
    what: &str,
) -> Result<String, Failure> {
    if let Some(name) = given.filter(|n| !n.is_empty()) {
        return Ok(name);
    }
    let Some(stack) = &cli.stack else {
        return Err(Failure(format!(
            "no {what} table: pass --{what}-table, set {}_TABLE, or name the deployed stack with --stack",
            what.to_uppercase()
        )));
    };
    let out = aws_sdk_cloudformation::Client::new(sdk)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| {
            Failure(format!(
                "reading stack {stack}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    out.stacks()
        .first()
        .and_then(|s| s.outputs().iter().find(|o| o.output_key() == Some(output)))
        .and_then(|o| o.output_value())
        .map(str::to_owned)
        .ok_or_else(|| Failure(format!("stack {stack} has no output {output}")))
}

/// A clear error when the endpoint does not answer or the table is missing.
async fn check_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    endpoint: &str,
) -> Result<(), Failure> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(()),
        Err(SdkError::DispatchFailure(e)) => {
            Err(Failure(format!("cannot reach {endpoint}: {e:?}")))
        }
        Err(SdkError::TimeoutError(_)) => {
            Err(Failure(format!("{endpoint} did not answer in time")))
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Err(Failure(format!(
                "table {table} does not exist at {endpoint}"
            )))
        }
        Err(e) => Err(Failure(format!(
            "checking table {table} at {endpoint}: {}",
            DisplayErrorContext(&e)
        ))),
    }
}

fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password for the new admin: ")
            .map_err(|e| Failure(format!("reading the password: {e}")))?;
        let second = rpassword::prompt_password("Again: ")
            .map_err(|e| Failure(format!("reading the password: {e}")))?;
        if first != second {
            return Err(Failure("the passwords differ".into()));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure(format!("reading the password from standard input: {e}")))?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    }
}
