//! Tool-result images (docs/kiro-protocol.md#tool-results). Kiro accepts an image inside `toolResults[].content` and
//! silently drops it, so every such image moves to the message's `images`. The model
//! matches images to tool calls by position only, so:
//!
//! * the results' images come first, in the order of the preceding assistant turn's tool
//!   calls (not the order the client listed the results in), then the user's own images;
//! * each result's text names its images (`[See images data supplied: images 1-2]`, the
//!   words kiro-cli leaves in the result);
//! * when the images come from more than one place, a legend line in the message names the
//!   source of each (the fix for the misattributions measured by kiro-cli captures).

use std::collections::HashMap;

use super::super::conversation::Role;
use super::turns::{push_text, Turn};

/// What kiro-cli leaves in a tool result whose images it moved.
pub const SEE_IMAGES: &str = "See images data supplied";

/// Place the images of every user turn's tool results (see the module documentation).
pub fn place(turns: &mut [Turn]) {
    for i in 0..turns.len() {
        let has_images = turns[i].role == Role::User
            && turns[i].tool_results.iter().any(|r| !r.images.is_empty());
        if !has_images {
            continue;
        }
        let calls: Vec<(String, String)> = match i.checked_sub(1).map(|p| &turns[p]) {
            Some(prev) if prev.role == Role::Assistant => prev
                .tool_uses
                .iter()
                .map(|u| (u.id.clone(), u.name.clone()))
                .collect(),
            _ => Vec::new(),
        };
        place_in_turn(&mut turns[i], &calls);
    }
}

/// `calls`: `(id, name)` of the preceding assistant turn's tool calls, in order.
fn place_in_turn(turn: &mut Turn, calls: &[(String, String)]) {
    let position: HashMap<&str, usize> = calls
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let mut order: Vec<usize> = (0..turn.tool_results.len()).collect();
    order.sort_by_key(|&r| {
        let id = turn.tool_results[r].tool_use_id.as_str();
        (position.get(id).copied().unwrap_or(usize::MAX), r)
    });

    let mut placed = Vec::new();
    let mut legend = Vec::new();
    for r in order {
        let result = &mut turn.tool_results[r];
        if result.images.is_empty() {
            continue;
        }
        let range = label(placed.len() + 1, result.images.len());
        push_text(
            &mut result.text,
            &format!("[{SEE_IMAGES}: {range}]"),
            "\n\n",
        );
        let name = calls
            .iter()
            .find(|(id, _)| *id == result.tool_use_id)
            .map_or("tool", |(_, name)| name.as_str());
        legend.push(format!(
            "{range} from tool call {name} ({})",
            result.tool_use_id
        ));
        placed.append(&mut result.images);
    }
    if !turn.images.is_empty() {
        legend.push(format!(
            "{} from the user",
            label(placed.len() + 1, turn.images.len())
        ));
    }
    if legend.len() > 1 {
        let line = format!("[Images of this message, in order: {}]", legend.join("; "));
        push_text(&mut turn.text, &line, "\n\n");
    }
    placed.append(&mut turn.images);
    turn.images = placed;
}

/// `image 3` or `images 3-4` (1-based positions in the message's `images`).
fn label(first: usize, count: usize) -> String {
    if count == 1 {
        format!("image {first}")
    } else {
        format!("images {first}-{}", first + count - 1)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::turns::{ToolResult, ToolUse};
    use super::*;

    fn image(tag: &str) -> Value {
        json!({"format": "png", "source": {"bytes": tag}})
    }

    fn calls(ids: &[&str]) -> Turn {
        let mut t = Turn::placeholder(Role::Assistant);
        t.tool_uses = ids
            .iter()
            .map(|id| ToolUse {
                id: (*id).into(),
                name: format!("shot_{id}"),
                input: json!({}),
            })
            .collect();
        t
    }

    fn result(id: &str, text: &str, images: &[&str]) -> ToolResult {
        ToolResult {
            tool_use_id: id.into(),
            text: text.into(),
            is_error: false,
            images: images.iter().map(|t| image(t)).collect(),
        }
    }

    #[test]
    fn images_follow_the_call_order_and_each_result_names_its_own() {
        let mut user = Turn::placeholder(Role::User);
        user.tool_results = vec![
            result("b", "second", &["B1", "B2"]),
            result("c", "no picture", &[]),
            result("a", "", &["A1"]),
        ];
        user.images = vec![image("U1")];
        let mut turns = vec![Turn::placeholder(Role::User), calls(&["a", "b", "c"]), user];
        place(&mut turns);
        let user = &turns[2];
        assert_eq!(
            user.images,
            ["A1", "B1", "B2", "U1"].map(image),
            "call order, then the user's own"
        );
        assert_eq!(
            user.tool_results[2].text,
            "[See images data supplied: image 1]"
        );
        assert_eq!(
            user.tool_results[0].text,
            "second\n\n[See images data supplied: images 2-3]"
        );
        assert_eq!(user.tool_results[1].text, "no picture");
        assert!(user.tool_results.iter().all(|r| r.images.is_empty()));
        assert_eq!(
            user.text,
            "[Images of this message, in order: image 1 from tool call shot_a (a); \
             images 2-3 from tool call shot_b (b); image 4 from the user]"
        );
    }

    #[test]
    fn one_source_needs_no_legend() {
        let mut user = Turn::placeholder(Role::User);
        user.text = "look".into();
        user.tool_results = vec![result("a", "shot", &["A1"])];
        let mut turns = vec![Turn::placeholder(Role::User), calls(&["a"]), user];
        place(&mut turns);
        assert_eq!(turns[2].text, "look");
        assert_eq!(turns[2].images, [image("A1")]);
        assert_eq!(
            turns[2].tool_results[0].text,
            "shot\n\n[See images data supplied: image 1]"
        );
    }
}
