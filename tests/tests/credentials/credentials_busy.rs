//! kiro-cli's database locked by another connection (kiro-cli mid-write): requests wait for
//! the lock only briefly, a token in memory is used meanwhile, an expired one is "kiro-cli
//! is busy" (not "sign in again"), and a refreshed token whose write-back met the lock is
//! written once the lock goes — unless kiro-cli wrote newer tokens meanwhile. Real SQLite
//! files, locks held by a second connection, a loopback refresh endpoint.

use crate::credentials_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use credentials_support::*;
use kiro_gateway::credentials::{CredentialError, Credentials};
use serde_json::json;

const KEY: &str = "kirocli:social:token";
/// The longest a request may be held by the lock (the gateway waits 0.5 s at most).
const SHORT: Duration = Duration::from_millis(1500);

/// A kiro-cli database whose social token expires in `expires_in` seconds, and the fake that
/// refreshes it.
async fn setup(expires_in: i64) -> (Env, Fake, PathBuf, Arc<Credentials>) {
    let env = Env::new();
    let fake = Fake::start().await;
    fake.allow_refresh("aor-cli-refresh-01");
    let db = env.cli_db("kiro-cli");
    make_db(
        &db,
        &[(
            KEY,
            json!({"access_token": "aoa-cli-access-001", "refresh_token": "aor-cli-refresh-01", "expires_at": iso_in(expires_in)}),
        )],
        &[],
    );
    let creds = discover(env.settings(Some(&fake))).await;
    (env, fake, db, creds)
}

/// Another connection holding a lock, as kiro-cli does while it writes. `EXCLUSIVE` keeps
/// readers out too; `IMMEDIATE` only other writers.
struct Locker {
    conn: rusqlite::Connection,
}

impl Locker {
    fn hold(db: &Path, behaviour: &str) -> Locker {
        let conn = rusqlite::Connection::open(db).unwrap();
        // Its own commit may wait for a reader (the gateway) to finish.
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.execute_batch(&format!("BEGIN {behaviour}")).unwrap();
        Locker { conn }
    }

    /// kiro-cli's own write inside the locked transaction.
    fn write_token(&self, access: &str, refresh: &str) {
        let v =
            json!({"access_token": access, "refresh_token": refresh, "expires_at": iso_in(3600)});
        self.conn
            .execute(
                "UPDATE auth_kv SET value = ?1 WHERE key = ?2",
                rusqlite::params![v.to_string(), KEY],
            )
            .unwrap();
    }

    fn release(self) {
        self.conn.execute_batch("COMMIT").unwrap();
    }
}

/// The token JSON in the database, read as kiro-cli would (waiting for a writer's commit).
fn stored(db: &Path) -> serde_json::Value {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let text: String = conn
        .query_row("SELECT value FROM auth_kv WHERE key = ?1", [KEY], |row| {
            row.get(0)
        })
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn stored_access(db: &Path) -> String {
    stored(db)["access_token"].as_str().unwrap().to_owned()
}

/// `access_token()` until it succeeds with `want`, for at most `timeout`.
async fn eventually_token(creds: &Credentials, want: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let got = creds.access_token().await;
        match &got {
            Ok(t) if t.token.expose() == want => return,
            _ if Instant::now() > deadline => panic!("still {got:?} after {timeout:?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_due_for_refresh_is_used_while_kiro_cli_holds_its_database() {
    // Inside the 5-minute refresh margin but valid for two more minutes.
    let (_env, fake, db, creds) = setup(120).await;
    let lock = Locker::hold(&db, "EXCLUSIVE");

    for _ in 0..3 {
        let started = Instant::now();
        let token = creds.access_token().await.expect("the token in memory");
        assert_eq!(token.token.expose(), "aoa-cli-access-001");
        assert!(started.elapsed() < SHORT, "held {:?}", started.elapsed());
    }
    assert_eq!(
        fake.refresh_calls(),
        0,
        "no refresh while kiro-cli may be writing"
    );

    lock.release();
    eventually_token(&creds, "aoa-fresh-access-0001", Duration::from_secs(5)).await;
    assert_eq!(fake.refresh_calls(), 1);
    assert_eq!(stored_access(&db), "aoa-fresh-access-0001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_while_kiro_cli_is_busy_is_a_busy_error_not_sign_in_again() {
    let (_env, fake, db, creds) = setup(-60).await;
    let lock = Locker::hold(&db, "EXCLUSIVE");

    let started = Instant::now();
    let err = creds.access_token().await.unwrap_err();
    assert!(started.elapsed() < SHORT, "held {:?}", started.elapsed());
    assert!(matches!(err, CredentialError::SourceBusy(_)), "{err:?}");
    assert!(err.to_string().starts_with("kiro-cli is busy"), "{err}");
    assert!(!err.hint().contains("sign in"), "{}", err.hint());
    // Callers arriving meanwhile are not held by the lock either.
    let started = Instant::now();
    assert!(matches!(
        creds.access_token().await,
        Err(CredentialError::SourceBusy(_))
    ));
    assert!(started.elapsed() < SHORT, "held {:?}", started.elapsed());
    assert_eq!(fake.refresh_calls(), 0);

    lock.release();
    eventually_token(&creds, "aoa-fresh-access-0001", Duration::from_secs(5)).await;
    assert_eq!(stored_access(&db), "aoa-fresh-access-0001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_back_that_meets_the_lock_is_retried_when_the_lock_goes() {
    let (_env, fake, db, creds) = setup(-60).await;
    // kiro-cli is about to write: readers pass, writers wait.
    let lock = Locker::hold(&db, "IMMEDIATE");

    let started = Instant::now();
    let token = creds.access_token().await.expect("refreshed");
    assert!(started.elapsed() < SHORT, "held {:?}", started.elapsed());
    assert_eq!(token.token.expose(), "aoa-fresh-access-0001");
    assert_eq!(fake.refresh_calls(), 1);
    assert!(creds.status().write_back_pending);
    assert_eq!(stored_access(&db), "aoa-cli-access-001", "not written yet");

    lock.release();
    assert!(
        wait_until(Duration::from_secs(10), || stored_access(&db)
            == "aoa-fresh-access-0001")
        .await,
        "written back once the lock went"
    );
    assert_eq!(stored(&db)["refresh_token"], "aor-rotated-refresh-0001");
    let c = creds.clone();
    assert!(wait_until(Duration::from_secs(2), || !c.status().write_back_pending).await);
    assert_eq!(fake.refresh_calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_write_back_never_overwrites_what_kiro_cli_wrote_meanwhile() {
    let (_env, _fake, db, creds) = setup(-60).await;
    let lock = Locker::hold(&db, "IMMEDIATE");
    creds.access_token().await.expect("refreshed");
    assert!(creds.status().write_back_pending);

    // kiro-cli finishes its own write: a newer login than the one the gateway refreshed.
    lock.write_token("aoa-kirocli-own-0001", "aor-kirocli-own-0001");
    lock.release();

    let c = creds.clone();
    assert!(
        wait_until(Duration::from_secs(10), || !c.status().write_back_pending).await,
        "the pending write was settled"
    );
    let stored = stored(&db);
    assert_eq!(stored["access_token"], "aoa-kirocli-own-0001");
    assert_eq!(stored["refresh_token"], "aor-kirocli-own-0001");
}
