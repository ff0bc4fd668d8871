//! Tool-use ids (docs/kiro-protocol.md#tool-use-ids): Kiro accepts `[A-Za-z0-9_-]{1,64}`. The
//! sanitiser is a pure function of the client's id, so a `tool_use` and its `tool_result` stay
//! paired without any map.

use sha2::{Digest, Sha256};

pub const MAX_ID_LEN: usize = 64;

/// `true` when Kiro accepts `id` unchanged.
pub fn is_valid_tool_use_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(is_id_byte)
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// First 8 hex digits of SHA-256(`s`).
pub fn hash8(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    hex::encode(&digest[..4])
}

/// Valid ids are returned unchanged. Otherwise whitespace is removed, every other invalid
/// character becomes `_`, and a result longer than 64 keeps its first 55 characters +
/// `_` + 8 hex of SHA-256(original id). An id that is empty after cleaning becomes
/// `tooluse_` + 8 hex of SHA-256(original id).
pub fn sanitize_tool_use_id(id: &str) -> String {
    if is_valid_tool_use_id(id) {
        return id.to_string();
    }
    let cleaned: String = id
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if c.is_ascii() && is_id_byte(c as u8) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        return format!("tooluse_{}", hash8(id));
    }
    if cleaned.len() > MAX_ID_LEN {
        // `cleaned` is ASCII, so byte slicing is safe.
        return format!("{}_{}", &cleaned[..55], hash8(id));
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_pass_through() {
        for id in ["tooluse_7f3Yc1", "call_abc-DEF_123", &"a".repeat(64)] {
            assert_eq!(sanitize_tool_use_id(id), id);
        }
    }

    #[test]
    fn invalid_ids_are_repaired_deterministically() {
        let cursor = format!("call_{}\nfc_{}", "x".repeat(40), "y".repeat(36));
        let a = sanitize_tool_use_id(&cursor);
        assert_eq!(a, sanitize_tool_use_id(&cursor));
        assert!(is_valid_tool_use_id(&a), "{a}");
        assert_eq!(a.len(), 64);
        assert_eq!(sanitize_tool_use_id("toolu.01 abc"), "toolu_01abc");
        assert_eq!(sanitize_tool_use_id("é"), "_");
        let empty = sanitize_tool_use_id("");
        assert!(is_valid_tool_use_id(&empty) && empty.starts_with("tooluse_"));
        assert!(is_valid_tool_use_id(&sanitize_tool_use_id(" \n\t")));
        // different long ids with the same prefix stay distinct
        let p = "p".repeat(70);
        assert_ne!(
            sanitize_tool_use_id(&format!("{p}1")),
            sanitize_tool_use_id(&format!("{p}2"))
        );
    }
}
