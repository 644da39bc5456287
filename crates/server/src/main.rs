use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partnerdesk::{Application, Config, telemetry};
use partnerdesk_services::{Clock, db};

/// mimalloc instead of the system's allocator: a request allocates and frees many small buffers (its JSON, its SQL,
/// the database's rows), and glibc's malloc spent about a sixth of the server's CPU on them (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Partnerdesk: invite marketing partners, cap their traffic exactly, show them live stats.
/// Configuration comes from the environment; see the README.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to stdout.
    PrintSchema,
    /// Send demo traffic (clicks, leads, owner decisions) to a demo account, for a live-looking dashboard.
    Simulate {
        /// How long to send traffic.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::PrintSchema) = cli.command {
        print!("{}", partnerdesk_graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format, &config.log_filter);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => migrate(&config).await,
        Command::Simulate { seconds } => partnerdesk::simulate::run(&config, seconds).await,
        Command::PrintSchema => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "stopped");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = Application::build(config, Clock::system()).await?;
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let conn = db::connect(&config.database_url).await?;
    let applied = partnerdesk::startup::migrate(&conn, &config.database_url).await?;
    tracing::info!(applied, "migrations applied");
    Ok(())
}
