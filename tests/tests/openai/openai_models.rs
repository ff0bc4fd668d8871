//! The model catalogue behind `/v1/models` against the fake: cached for its TTL, a stale
//! list is served while one background refresh runs, a failed refresh keeps the last
//! upstream list, and with nothing fetched yet the static list is used.

use std::sync::Arc;
use std::time::Duration;

use kiro_gateway::kiro::catalog::{CatalogSource, ModelCatalog};
use kiro_gateway_tests::fake::fixtures::TempHome;
use kiro_gateway_tests::fake::{Endpoint, FakeConfig, FakeKiro, HttpReply, ModelInfo};
use kiro_gateway_tests::upstream::social_credentials;

async fn catalog(fake: &FakeKiro, home: &TempHome, ttl: Duration) -> Arc<ModelCatalog> {
    let (http, credentials) = social_credentials(fake, home).await;
    ModelCatalog::new(
        http,
        kiro_gateway::kiro::login::ActiveLogin::new(credentials),
        Some(fake.management_url()),
        ttl,
    )
}

fn ids(models: &[kiro_gateway::kiro::catalog::ModelInfo]) -> Vec<String> {
    models.iter().map(|m| m.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_then_refreshed_in_the_background_and_kept_on_failure() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let models = catalog(&fake, &home, Duration::from_millis(1500)).await;

    let first = models.get().await;
    assert_eq!(first.source, CatalogSource::Upstream);
    assert!(ids(&first.models).contains(&"qwen3-coder-next".to_owned()));
    for _ in 0..5 {
        models.get().await;
    }
    assert_eq!(fake.count(Endpoint::ListModels), 1, "cached within the TTL");

    // Upstream adds a model; once stale, the old list is served at once while a single
    // background refresh fetches the new one.
    fake.update(|c| {
        c.catalog.push(ModelInfo::new(
            "claude-new-5",
            "Claude New 5",
            200_000,
            64_000,
            1.0,
        ))
    });
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let stale = models.get().await;
    assert!(
        !ids(&stale.models).contains(&"claude-new-5".to_owned()),
        "stale served"
    );
    for _ in 0..5 {
        models.get().await;
    }
    // A background refresh runs (panics after 5 s otherwise).
    fake.wait_for(Endpoint::ListModels, 2, Duration::from_secs(5))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        fake.count(Endpoint::ListModels),
        2,
        "one refresh for many callers"
    );
    let fresh = models.get().await;
    assert!(ids(&fresh.models).contains(&"claude-new-5".to_owned()));

    // A failed refresh keeps the last upstream list (not the static one).
    fake.inject(
        Endpoint::ListModels,
        HttpReply::json(500, serde_json::json!({"message": "boom", "reason": null})),
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    models.get().await;
    fake.wait_for(Endpoint::ListModels, 3, Duration::from_secs(5))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let kept = models.get().await;
    assert_eq!(kept.source, CatalogSource::Upstream);
    assert!(ids(&kept.models).contains(&"claude-new-5".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_fetched_yet_means_the_static_list() {
    let fake = FakeKiro::start(FakeConfig {
        runtime_personality: true,
        ..FakeConfig::default()
    })
    .await;
    let home = TempHome::new();
    // A TTL longer than this machine's uptime must not matter (no Instant underflow).
    let models = catalog(&fake, &home, Duration::from_secs(10 * 365 * 24 * 3600)).await;
    let list = models.get().await;
    assert_eq!(list.source, CatalogSource::Fallback);
    assert!(ids(&list.models).contains(&"claude-sonnet-4.5".to_owned()));
    assert!(!ids(&list.models).contains(&"qwen3-coder-next".to_owned()));
}
