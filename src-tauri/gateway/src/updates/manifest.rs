//! The release manifest a feed serves: the same shape as the Tauri updater's `latest.json`
//! (`version`, `notes`, `pub_date`, `platforms.<os>-<arch>.url`), plus an optional top-level
//! `url` for a release page. Parsing is pure; the signature is checked before this runs.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::UpdateFailure;

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseManifest {
    pub version: semver::Version,
    pub notes: String,
    pub pub_date: Option<String>,
    /// Where this platform's package is, or the release page when the feed has no package
    /// for it.
    pub download_url: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    version: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    pub_date: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    platforms: BTreeMap<String, WirePlatform>,
}

#[derive(Deserialize)]
struct WirePlatform {
    url: String,
}

/// The key of this build's platform in `platforms`, in the Tauri updater's spelling
/// (`linux-x86_64`, `darwin-aarch64`, `windows-x86_64`).
pub fn platform_key() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    format!("{os}-{}", std::env::consts::ARCH)
}

/// Parse `body` (already verified) for `platform`.
pub fn parse(body: &[u8], platform: &str) -> Result<ReleaseManifest, UpdateFailure> {
    let wire: Wire = serde_json::from_slice(body).map_err(|e| UpdateFailure::ManifestInvalid {
        detail: e.to_string(),
    })?;
    // Tauri writes versions with or without a leading `v`.
    let version =
        semver::Version::parse(wire.version.trim().trim_start_matches('v')).map_err(|e| {
            UpdateFailure::ManifestInvalid {
                detail: format!("version {:?}: {e}", wire.version),
            }
        })?;
    let package = wire
        .platforms
        .iter()
        .find(|(key, _)| key.as_str() == platform)
        .or_else(|| {
            // Tauri also keys packages by bundle (`linux-x86_64-deb`).
            wire.platforms
                .iter()
                .find(|(key, _)| key.starts_with(&format!("{platform}-")))
        })
        .map(|(_, p)| p.url.clone());
    let download_url = package
        .or(wire.url)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    Ok(ReleaseManifest {
        version,
        notes: wire.notes.unwrap_or_default(),
        pub_date: wire.pub_date,
        download_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAURI_SHAPE: &str = r#"{
        "version": "v0.3.0",
        "notes": "Faster streams.",
        "pub_date": "2026-12-01T10:00:00Z",
        "platforms": {
            "linux-x86_64-deb": {"signature": "…", "url": "https://example.test/kg_0.3.0_amd64.deb"},
            "darwin-aarch64": {"signature": "…", "url": "https://example.test/kg.app.tar.gz"}
        }
    }"#;

    #[test]
    fn a_tauri_manifest_gives_version_notes_and_this_platforms_package() {
        let m = parse(TAURI_SHAPE.as_bytes(), "linux-x86_64").unwrap();
        assert_eq!(m.version, semver::Version::new(0, 3, 0));
        assert_eq!(m.notes, "Faster streams.");
        assert_eq!(m.pub_date.as_deref(), Some("2026-12-01T10:00:00Z"));
        assert_eq!(
            m.download_url.as_deref(),
            Some("https://example.test/kg_0.3.0_amd64.deb")
        );
        let mac = parse(TAURI_SHAPE.as_bytes(), "darwin-aarch64").unwrap();
        assert_eq!(
            mac.download_url.as_deref(),
            Some("https://example.test/kg.app.tar.gz")
        );
    }

    #[test]
    fn without_a_package_for_the_platform_the_release_page_is_offered() {
        let body =
            r#"{"version":"1.0.0","url":"https://example.test/releases/1.0.0","platforms":{}}"#;
        let m = parse(body.as_bytes(), "linux-x86_64").unwrap();
        assert_eq!(
            m.download_url.as_deref(),
            Some("https://example.test/releases/1.0.0")
        );
        let bare = parse(br#"{"version":"1.0.0"}"#, "linux-x86_64").unwrap();
        assert_eq!(bare.download_url, None);
        assert_eq!(bare.notes, "");
    }

    #[test]
    fn a_link_that_is_not_http_is_not_offered() {
        let body = r#"{"version":"1.0.0","url":"file:///etc/passwd"}"#;
        assert_eq!(
            parse(body.as_bytes(), "linux-x86_64").unwrap().download_url,
            None
        );
    }

    #[test]
    fn a_bad_version_or_shape_is_an_invalid_manifest() {
        for body in [
            r#"{"version":"soon"}"#,
            r#"{"notes":"no version"}"#,
            "not json",
        ] {
            assert!(
                matches!(
                    parse(body.as_bytes(), "linux-x86_64"),
                    Err(UpdateFailure::ManifestInvalid { .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn the_platform_key_uses_the_tauri_spelling() {
        let key = platform_key();
        assert!(!key.starts_with("macos"), "{key}");
        assert!(key.contains('-'), "{key}");
    }
}
