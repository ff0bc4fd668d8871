//! Checking a manifest's detached minisign signature (`latest.json.sig`) with the release
//! public key. Both may be given as minisign writes them (`untrusted comment:` line, then
//! the base64 line(s)) or, as the Tauri signer writes them, base64 of that text; a public key
//! may also be the bare base64 key line.

use base64::Engine;
use minisign_verify::{PublicKey, Signature};

use super::UpdateFailure;

/// Parse the configured public key.
pub fn public_key(text: &str) -> Result<PublicKey, UpdateFailure> {
    let text = text.trim();
    PublicKey::from_base64(text)
        .or_else(|_| PublicKey::decode(text))
        .or_else(|_| {
            unwrapped(text)
                .ok_or(minisign_verify::Error::InvalidEncoding)
                .and_then(|inner| PublicKey::decode(inner.trim()))
        })
        .map_err(|_| UpdateFailure::PublicKeyInvalid)
}

/// The public key as the Tauri updater takes it (base64 of minisign's two-line key file),
/// from any spelling [`public_key`] accepts: the desktop app checks a downloaded package's
/// signature with the same key that signs the manifest.
pub fn tauri_public_key(text: &str) -> Result<String, UpdateFailure> {
    let text = text.trim();
    let line = [Some(text.to_owned()), unwrapped(text)]
        .into_iter()
        .flatten()
        .find_map(|candidate| {
            candidate
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty() && !line.starts_with("untrusted comment:"))
                .filter(|line| PublicKey::from_base64(line).is_ok())
                .map(str::to_owned)
        })
        .ok_or(UpdateFailure::PublicKeyInvalid)?;
    let file = format!("untrusted comment: minisign public key\n{line}\n");
    Ok(base64::engine::general_purpose::STANDARD.encode(file))
}

/// `Ok` when `signature` is a valid prehashed minisign signature of `body` by `key`.
pub fn verify(key: &PublicKey, body: &[u8], signature: &str) -> Result<(), UpdateFailure> {
    let signature = signature.trim();
    let parsed = Signature::decode(signature)
        .or_else(|e| match unwrapped(signature) {
            Some(inner) => Signature::decode(inner.trim()),
            None => Err(e),
        })
        .map_err(|_| UpdateFailure::SignatureInvalid)?;
    // Legacy (non-prehashed) signatures are refused: minisign has written prehashed ones
    // by default since 0.8, and the Tauri signer always does.
    key.verify(body, &parsed, false)
        .map_err(|_| UpdateFailure::SignatureInvalid)
}

/// `text` was base64 of a minisign text file.
fn unwrapped(text: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    struct Signer {
        pair: minisign::KeyPair,
    }

    impl Signer {
        fn new() -> Self {
            Signer {
                pair: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
            }
        }
        fn public_base64(&self) -> String {
            self.pair.pk.to_base64()
        }
        fn sign(&self, body: &[u8]) -> String {
            minisign::sign(
                Some(&self.pair.pk),
                &self.pair.sk,
                Cursor::new(body),
                Some("kiro-gateway release"),
                None,
            )
            .unwrap()
            .to_string()
        }
    }

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn a_signed_manifest_verifies_in_every_accepted_spelling() {
        let signer = Signer::new();
        let body = br#"{"version":"9.9.9"}"#;
        let sig = signer.sign(body);
        let pub_file = signer.pair.pk.to_box().unwrap().to_string();
        for key_text in [signer.public_base64(), pub_file.clone(), b64(&pub_file)] {
            let key = public_key(&key_text).unwrap();
            verify(&key, body, &sig).unwrap();
            verify(&key, body, &b64(&sig)).unwrap();
        }
    }

    #[test]
    fn a_changed_manifest_or_another_key_is_refused() {
        let signer = Signer::new();
        let body = br#"{"version":"9.9.9"}"#;
        let sig = signer.sign(body);
        let key = public_key(&signer.public_base64()).unwrap();
        assert_eq!(
            verify(&key, br#"{"version":"9.9.10"}"#, &sig),
            Err(UpdateFailure::SignatureInvalid)
        );
        let other = public_key(&Signer::new().public_base64()).unwrap();
        assert_eq!(
            verify(&other, body, &sig),
            Err(UpdateFailure::SignatureInvalid)
        );
        assert_eq!(
            verify(&key, body, "not a signature"),
            Err(UpdateFailure::SignatureInvalid)
        );
    }

    /// What the Tauri updater does with its `pubkey` and a package's `signature`.
    fn tauri_verifies(tauri_key: &str, body: &[u8], signature: &str) -> bool {
        let decode = |text: &str| {
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap(),
            )
            .unwrap()
        };
        let key = PublicKey::decode(&decode(tauri_key)).unwrap();
        let signature = Signature::decode(&decode(signature)).unwrap();
        key.verify(body, &signature, true).is_ok()
    }

    #[test]
    fn the_tauri_form_of_every_accepted_key_spelling_checks_a_package() {
        let signer = Signer::new();
        let package = b"a release package";
        let signature = b64(&signer.sign(package));
        let key_file = signer.pair.pk.to_box().unwrap().to_string();
        for spelling in [signer.public_base64(), key_file.clone(), b64(&key_file)] {
            let tauri = tauri_public_key(&spelling).unwrap();
            assert!(tauri_verifies(&tauri, package, &signature), "{spelling}");
            assert!(!tauri_verifies(&tauri, b"another package", &signature));
        }
        assert_eq!(
            tauri_public_key("not a key"),
            Err(UpdateFailure::PublicKeyInvalid)
        );
    }

    #[test]
    fn a_malformed_public_key_is_reported_as_such() {
        assert_eq!(
            public_key("RWQ-not-a-key").err(),
            Some(UpdateFailure::PublicKeyInvalid)
        );
    }
}
