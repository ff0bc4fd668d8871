//! Images (docs/kiro-protocol.md#images): inline base64 only, `png`/`jpeg`/`gif`/`webp`, at most 10
//! per request and 10 MiB each (QCLI limits). Violations are refused, never silently dropped: the
//! user would otherwise get an answer about a picture the model never saw.

use base64::Engine as _;
use serde_json::{json, Value};

use super::super::conversation::Image;
use super::{PreflightError, PreflightRule};

pub const MAX_IMAGES: usize = 10;
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// Kiro `format` for a media type (`image/jpg` is accepted as `jpeg`).
pub fn image_format(media_type: &str) -> Option<&'static str> {
    match media_type.trim().to_ascii_lowercase().as_str() {
        "image/png" => Some("png"),
        "image/jpeg" | "image/jpg" => Some("jpeg"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        _ => None,
    }
}

/// Validate one image and render the Kiro ImageBlock
/// `{"format", "source": {"bytes"}}`. A `data:…;base64,` prefix and ASCII whitespace
/// (MIME line breaks) are removed from the payload.
pub fn render_image(image: &Image, message_index: usize) -> Result<Value, PreflightError> {
    let refuse = |rule: PreflightRule, detail: String| PreflightError {
        rule,
        message_index: Some(message_index),
        detail,
    };
    let format = image_format(&image.media_type).ok_or_else(|| {
        refuse(
            PreflightRule::ImageFormat,
            format!(
                "image media type {:?} is not supported by Kiro (png, jpeg, gif, webp only)",
                image.media_type
            ),
        )
    })?;
    let data = image.data_base64.trim();
    let data = match data.strip_prefix("data:") {
        Some(rest) => rest.split_once(',').map_or(rest, |(_, b64)| b64),
        None => data,
    };
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    // Cheap size check before decoding: 4 base64 chars carry 3 bytes.
    let approx = data.len() / 4 * 3;
    if approx > MAX_IMAGE_BYTES + 3 {
        return Err(refuse(PreflightRule::ImageSize, size_detail(approx)));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| {
            refuse(
                PreflightRule::ImageBase64,
                format!("image data is not valid base64: {e}"),
            )
        })?;
    if decoded.is_empty() {
        return Err(refuse(
            PreflightRule::ImageBase64,
            "image data is empty".into(),
        ));
    }
    if decoded.len() > MAX_IMAGE_BYTES {
        return Err(refuse(PreflightRule::ImageSize, size_detail(decoded.len())));
    }
    Ok(json!({"format": format, "source": {"bytes": data}}))
}

fn size_detail(bytes: usize) -> String {
    format!("image of {bytes} bytes exceeds Kiro's limit of {MAX_IMAGE_BYTES} bytes (10 MiB)")
}

/// Error for the image that exceeds [`MAX_IMAGES`].
pub fn too_many(message_index: usize) -> PreflightError {
    PreflightError {
        rule: PreflightRule::ImageCount,
        message_index: Some(message_index),
        detail: format!("more than {MAX_IMAGES} images in one request (Kiro limit)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(media: &str, data: &str) -> Image {
        Image {
            media_type: media.into(),
            data_base64: data.into(),
        }
    }

    #[test]
    fn accepted_formats() {
        for (m, f) in [
            ("image/png", "png"),
            ("image/jpeg", "jpeg"),
            ("IMAGE/JPG", "jpeg"),
            ("image/gif", "gif"),
            ("image/webp", "webp"),
        ] {
            let v = render_image(&img(m, "aGVsbG8="), 0).unwrap();
            assert_eq!(v, json!({"format": f, "source": {"bytes": "aGVsbG8="}}));
        }
    }

    #[test]
    fn refusals_name_rule_and_index() {
        let e = render_image(&img("image/bmp", "aGVsbG8="), 3).unwrap_err();
        assert_eq!(
            (e.rule.as_str(), e.message_index),
            ("image_format", Some(3))
        );
        let e = render_image(&img("image/png", "not base64!"), 1).unwrap_err();
        assert_eq!(
            (e.rule.as_str(), e.message_index),
            ("image_base64", Some(1))
        );
        let e = render_image(&img("image/png", ""), 1).unwrap_err();
        assert_eq!(e.rule.as_str(), "image_base64");
        let big = "A".repeat((MAX_IMAGE_BYTES / 3 + 2) * 4);
        let e = render_image(&img("image/png", &big), 2).unwrap_err();
        assert_eq!((e.rule.as_str(), e.message_index), ("image_size", Some(2)));
    }

    #[test]
    fn data_url_prefix_and_line_breaks_removed() {
        let v = render_image(&img("image/png", "data:image/png;base64,aGVs\nbG8="), 0).unwrap();
        assert_eq!(v["source"]["bytes"], "aGVsbG8=");
    }
}
