//! Tool-result pairing (docs/kiro-protocol.md#tool-results), on the final alternating turn list
//! (user first, user last):
//!
//! * a result must answer a tool use of the immediately preceding assistant turn, else it
//!   becomes text in its user turn (JW);
//! * a second result for the same id in one turn is dropped (AIClient2API "dedupe");
//! * a tool use with the same id as an earlier one in its turn is dropped;
//! * a tool use not answered by the next user turn is removed (KR).

use std::collections::HashSet;

use super::super::conversation::Role;
use super::turns::{push_text, tool_result_as_text, Turn};

pub fn repair_pairing(turns: &mut [Turn]) {
    for turn in turns.iter_mut() {
        let mut seen = HashSet::new();
        turn.tool_uses.retain(|u| seen.insert(u.id.clone()));
    }
    for i in 0..turns.len() {
        if turns[i].role != Role::User {
            continue;
        }
        let allowed: HashSet<String> = match i.checked_sub(1).map(|p| &turns[p]) {
            Some(prev) if prev.role == Role::Assistant => {
                prev.tool_uses.iter().map(|u| u.id.clone()).collect()
            }
            _ => HashSet::new(),
        };
        let turn = &mut turns[i];
        let mut answered = HashSet::new();
        let mut orphans = Vec::new();
        let mut kept = Vec::new();
        for r in std::mem::take(&mut turn.tool_results) {
            if !allowed.contains(&r.tool_use_id) {
                orphans.push(r);
            } else if answered.insert(r.tool_use_id.clone()) {
                kept.push(r);
            }
        }
        turn.tool_results = kept;
        for r in orphans {
            push_text(
                &mut turn.text,
                &tool_result_as_text(&r.tool_use_id, &r.text),
                "\n",
            );
            turn.images.extend(r.images);
        }
    }
    for i in 0..turns.len() {
        if turns[i].role != Role::Assistant {
            continue;
        }
        let answered: HashSet<String> = match turns.get(i + 1) {
            Some(next) if next.role == Role::User => next
                .tool_results
                .iter()
                .map(|r| r.tool_use_id.clone())
                .collect(),
            _ => HashSet::new(),
        };
        turns[i].tool_uses.retain(|u| answered.contains(&u.id));
    }
}

#[cfg(test)]
mod tests {
    use super::super::turns::{ToolResult, ToolUse};
    use super::*;
    use serde_json::json;

    fn user(results: &[&str]) -> Turn {
        let mut t = Turn::placeholder(Role::User);
        t.tool_results = results
            .iter()
            .map(|id| ToolResult {
                tool_use_id: id.to_string(),
                text: format!("r-{id}"),
                is_error: false,
                images: vec![],
            })
            .collect();
        t
    }

    fn assistant(uses: &[&str]) -> Turn {
        let mut t = Turn::placeholder(Role::Assistant);
        t.tool_uses = uses
            .iter()
            .map(|id| ToolUse {
                id: id.to_string(),
                name: "f".into(),
                input: json!({}),
            })
            .collect();
        t
    }

    fn ids_u(t: &Turn) -> Vec<&str> {
        t.tool_uses.iter().map(|u| u.id.as_str()).collect()
    }
    fn ids_r(t: &Turn) -> Vec<&str> {
        t.tool_results
            .iter()
            .map(|r| r.tool_use_id.as_str())
            .collect()
    }

    #[test]
    fn orphan_results_become_text() {
        let mut turns = vec![user(&["x"])];
        repair_pairing(&mut turns);
        assert!(turns[0].tool_results.is_empty());
        assert_eq!(turns[0].text, "[Tool Result (x)]\nr-x");
    }

    #[test]
    fn unanswered_uses_removed_and_duplicates_dropped() {
        let mut turns = vec![
            user(&[]),
            assistant(&["a", "b", "a"]),
            user(&["a", "a", "c"]),
        ];
        repair_pairing(&mut turns);
        assert_eq!(ids_u(&turns[1]), ["a"]);
        assert_eq!(ids_r(&turns[2]), ["a"]);
        assert_eq!(turns[2].text, "[Tool Result (c)]\nr-c");
    }

    #[test]
    fn results_to_an_older_turn_are_orphans() {
        let mut turns = vec![
            user(&[]),
            assistant(&["a"]),
            user(&["a"]),
            assistant(&["b"]),
            user(&["a", "b"]),
        ];
        repair_pairing(&mut turns);
        assert_eq!(ids_r(&turns[2]), ["a"]);
        assert_eq!(ids_r(&turns[4]), ["b"]);
        assert!(turns[4].text.contains("[Tool Result (a)]"));
    }
}
