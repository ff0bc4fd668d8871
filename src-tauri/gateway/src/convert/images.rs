//! Inline images from client requests: the declared media type must be one of Kiro's four
//! formats, and is corrected from the bytes themselves when they say otherwise (Kiro rejects a
//! PNG declared as JPEG).

use base64::Engine;

use super::conversation::Image;

const SUPPORTED: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// An [`Image`] from a declared media type and base64 data. The error says what is wrong.
pub fn image_from_base64(declared: &str, data: &str) -> Result<Image, String> {
    let declared = declared.trim().to_ascii_lowercase();
    let declared = if declared == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        declared
    };
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if data.is_empty() {
        return Err("the image data is empty".into());
    }
    if !SUPPORTED.contains(&declared.as_str()) {
        return Err(format!(
            "unsupported image type `{declared}`; Kiro accepts image/png, image/jpeg, image/gif and image/webp"
        ));
    }
    Ok(Image {
        media_type: sniff(&data).map(str::to_owned).unwrap_or(declared),
        data_base64: data,
    })
}

/// An [`Image`] from an image a client sent as a URL (OpenAI's `image_url`, Responses'
/// `input_image`): only `data:` URLs are read; a web address is refused, never fetched (Kiro
/// takes only inline images, and fetching would make the gateway a proxy to any address).
pub fn image_from_url(url: &str) -> Result<Image, String> {
    let scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if scheme.starts_with("http://") || scheme.starts_with("https://") {
        return Err(
            "remote image URLs are not fetched by this gateway; send the image inline \
                    as a data URL (data:image/png;base64,...)"
                .into(),
        );
    }
    image_from_data_uri(url)
}

/// An [`Image`] from a `data:<type>;base64,<data>` URI.
pub fn image_from_data_uri(uri: &str) -> Result<Image, String> {
    let rest = uri
        .strip_prefix("data:")
        .ok_or_else(|| "not a data: URI".to_owned())?;
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| "a data: URI needs a comma before the data".to_owned())?;
    let media_type = meta.strip_suffix(";base64").ok_or_else(|| {
        "only base64 data: URIs are supported (`data:image/png;base64,…`)".to_owned()
    })?;
    image_from_base64(media_type, data)
}

/// The real format from the first bytes, when recognisable.
fn sniff(base64_data: &str) -> Option<&'static str> {
    let head: String = base64_data.chars().take(24).collect();
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(head.trim_end_matches('='))
        .ok()?;
    if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1PX: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    #[test]
    fn declared_type_is_corrected_from_the_bytes() {
        let image = image_from_base64("image/jpeg", PNG_1PX).unwrap();
        assert_eq!(image.media_type, "image/png");
    }

    #[test]
    fn data_uris_are_split() {
        let image = image_from_data_uri(&format!("data:image/png;base64,{PNG_1PX}")).unwrap();
        assert_eq!(image.media_type, "image/png");
        assert_eq!(image.data_base64, PNG_1PX);
        assert!(image_from_data_uri("data:image/png,plain").is_err());
        assert!(image_from_data_uri("https://x/y.png").is_err());
        let remote = image_from_url("HTTPS://example.com/cat.png").unwrap_err();
        assert!(remote.contains("not fetched"), "{remote}");
        assert!(image_from_url(&format!("data:image/png;base64,{PNG_1PX}")).is_ok());
    }

    #[test]
    fn unsupported_types_are_refused() {
        let err = image_from_base64("image/bmp", "Qk1hYmNk").unwrap_err();
        assert!(err.contains("image/bmp"));
        assert!(image_from_base64("image/png", "  ").is_err());
    }
}
