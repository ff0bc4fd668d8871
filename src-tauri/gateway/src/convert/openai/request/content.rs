//! Message content: text-only content, text-and-image content, and tool-result content.

use serde_json::Value;

use crate::convert::conversation::Image;
use crate::convert::images::image_from_url;
use crate::convert::json_at::{At, StrOrItems};
use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub enum UserPart {
    Text(String),
    Image(Image),
}

/// Text of a content that may only hold text: a string, or an array of `text` parts
/// (`refusal` parts are also accepted when `allow_refusal`).
pub(super) fn text_content(v: &At<'_>, allow_refusal: bool) -> Result<String, ApiError> {
    let parts = match v.str_or_items("a string or an array of content parts")? {
        StrOrItems::Str(s) => return Ok(s.to_string()),
        StrOrItems::Items(parts) => parts,
    };
    let mut out = String::new();
    for part in parts {
        part.object()?;
        let kind_at = part.require("type")?;
        let text = match kind_at.str()? {
            "text" => part.require("text")?.str()?,
            "refusal" if allow_refusal => part.require("refusal")?.str()?,
            other => {
                return Err(kind_at.invalid(format!(
                    "'{other}' is not allowed here; only text parts are"
                )))
            }
        };
        out.push_str(text);
    }
    Ok(out)
}

fn parse_image(part: &At<'_>) -> Result<Image, ApiError> {
    let image_url = part.require("image_url")?;
    let url = match image_url.value {
        Value::String(s) => s.as_str(),
        Value::Object(_) => image_url.require("url")?.str()?,
        _ => return Err(image_url.type_error("an object")),
    };
    image_from_url(url).map_err(|e| image_url.invalid(e))
}

/// Content of a user (or tool) message: text and images.
pub(super) fn rich_content(v: &At<'_>) -> Result<Vec<UserPart>, ApiError> {
    let parts = match v.str_or_items("a string or an array of content parts")? {
        StrOrItems::Str(s) => return Ok(vec![UserPart::Text(s.to_string())]),
        StrOrItems::Items(parts) => parts,
    };
    let mut out = Vec::new();
    for part in parts {
        part.object()?;
        let kind_at = part.require("type")?;
        match kind_at.str()? {
            "text" => out.push(UserPart::Text(part.require("text")?.str()?.to_string())),
            "image_url" => out.push(UserPart::Image(parse_image(&part)?)),
            other => {
                return Err(kind_at.error(format!(
                    "Unsupported content part type '{other}' in '{}'. Supported: text, image_url.",
                    part.path
                )))
            }
        }
    }
    Ok(out)
}

pub(super) fn tool_content(content: Option<&At<'_>>) -> Result<(String, Vec<Image>), ApiError> {
    let Some(c) = content else {
        return Ok((String::new(), Vec::new()));
    };
    let mut text = String::new();
    let mut images = Vec::new();
    for part in rich_content(c)? {
        match part {
            UserPart::Text(t) => {
                if !text.is_empty() && !t.is_empty() {
                    text.push('\n');
                }
                text.push_str(&t);
            }
            UserPart::Image(img) => images.push(img),
        }
    }
    Ok((text, images))
}
