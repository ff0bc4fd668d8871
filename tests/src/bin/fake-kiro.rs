//! `fake-kiro --port N [--token-dir DIR]`: run the fake Kiro upstream for manual runs and UI
//! tests. Prints the URLs and the environment lines that point a gateway at it.

use std::path::PathBuf;

use clap::Parser;
use kiro_gateway_tests::fake::{fixtures, AccountSpec, FakeConfig, FakeKiro};

#[derive(Parser, Debug)]
#[command(
    name = "fake-kiro",
    about = "Fake Kiro upstream (docs/kiro-protocol.md#fake-server)"
)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Write a social IDE token file (`kiro-auth-token.json`) into this directory.
    #[arg(long)]
    token_dir: Option<PathBuf>,
    /// Lifetime of issued access tokens, seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Rotate refresh tokens on every refresh.
    #[arg(long)]
    rotate: bool,
    /// Do not require `profileArn` on chat calls.
    #[arg(long)]
    no_profile_arn: bool,
    /// Kind of token file written with `--token-dir`: `social` or `idc` (IdC also writes the
    /// `<clientIdHash>.json` registration next to it).
    #[arg(long, default_value = "social")]
    auth: String,
    /// Also serve a signed release feed announcing this version (prints `FAKE_RELEASE_FEED`
    /// and the `KIRO_GATEWAY_UPDATE_PUBLIC_KEY` to trust it with).
    #[arg(long)]
    release_version: Option<String>,
    /// The package the release feed offers for download (with `--release-version`): the
    /// desktop app's update install test serves a real `.deb` this way.
    #[arg(long, requires = "release_version")]
    release_package: Option<std::path::PathBuf>,
    /// Hold every chat answer this long before its headers (an answer still open while
    /// something else happens, e.g. the desktop app installing an update).
    #[arg(long, default_value_t = 0)]
    chat_delay_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let idc = match args.auth.as_str() {
        "social" => false,
        "idc" => true,
        other => {
            eprintln!("fake-kiro: --auth must be social or idc, not {other}");
            std::process::exit(2);
        }
    };
    let mut cfg = FakeConfig {
        access_token_lifetime: std::time::Duration::from_secs(args.token_lifetime),
        rotate_refresh_tokens: args.rotate,
        require_profile_arn: !args.no_profile_arn,
        chat_header_delay: std::time::Duration::from_millis(args.chat_delay_ms),
        ..FakeConfig::default()
    };
    cfg.accounts.push(AccountSpec::oidc("idc"));
    let fake = FakeKiro::start_on(cfg, args.port).await?;
    println!("fake-kiro listening on {}", fake.base_url());
    println!("  runtime:    {}", fake.runtime_url());
    println!("  management: {}", fake.management_url());
    println!("  refresh:    {}", fake.refresh_url());
    println!("  oidc:       {}", fake.oidc_url());
    println!();
    for (k, v) in fake.env_lines() {
        println!("{k}={v}");
    }
    // Printed before KIRO_CREDS_FILE, the line scripts wait for.
    let _feed = match &args.release_version {
        Some(version) => {
            let package = match &args.release_package {
                Some(path) => Some(std::fs::read(path)?),
                None => None,
            };
            let feed = kiro_gateway_tests::release_feed::ReleaseFeed::start_with_package(
                version,
                "Faster streams and a new model list.",
                0,
                package,
            )
            .await?;
            println!("FAKE_RELEASE_FEED={}", feed.url());
            println!("KIRO_GATEWAY_UPDATE_PUBLIC_KEY={}", feed.public_key());
            Some(feed)
        }
        None => None,
    };
    let name = if idc { "idc" } else { "default" };
    let account = fake.account(name);
    println!("PROFILE_ARN={}", account.profile_arn);
    let ttl = chrono::Duration::seconds(args.token_lifetime as i64);
    match args.token_dir {
        Some(dir) if idc => {
            let (path, _) = fixtures::write_idc_token_file_in(&fake, &dir, name, ttl);
            println!("KIRO_CREDS_FILE={}", path.display());
        }
        Some(dir) => {
            let (value, _) = fixtures::social_token_json(&fake, name, ttl);
            let path = dir.join("kiro-auth-token.json");
            fixtures::write_json(&path, &value);
            println!("KIRO_CREDS_FILE={}", path.display());
        }
        None => println!("REFRESH_TOKEN={}", account.refresh_token),
    }
    tokio::signal::ctrl_c().await?;
    eprintln!("fake-kiro: stopping");
    Ok(())
}
