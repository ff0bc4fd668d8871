use serde_json::json;

use super::filter::MAX_HOLD;
use super::introduction::INTRODUCTIONS;
use super::words::REPLACEMENT;
use super::*;
use crate::convert::conversation::{Conversation, Message, Part, Role, ToolSpec};

fn all(text: &str) -> String {
    sanitise(&IdentityPolicy::all(), text)
}

/// The text fed in chunks cut at `cuts` (byte offsets, snapped to character boundaries).
fn split(policy: &IdentityPolicy, text: &str, cuts: &[usize]) -> String {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|c| c % (text.len() + 1))
        .filter(|c| text.is_char_boundary(*c))
        .collect();
    bounds.sort_unstable();
    bounds.push(text.len());
    let mut filter = IdentityFilter::new(policy.clone());
    let mut out = String::new();
    let mut last = 0;
    for b in bounds {
        if b < last {
            continue;
        }
        out.push_str(&filter.push(&text[last..b]));
        last = b;
    }
    out.push_str(&filter.flush());
    out
}

/// Every way of cutting `text` in two, and one character per chunk, give `expected`.
fn every_split(text: &str, expected: &str) {
    let policy = IdentityPolicy::all();
    assert_eq!(all(text), expected, "whole");
    for cut in 0..=text.len() {
        if text.is_char_boundary(cut) {
            assert_eq!(split(&policy, text, &[cut]), expected, "cut at {cut}");
        }
    }
    let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    assert_eq!(split(&policy, text, &cuts), expected, "char by char");
}

#[test]
fn the_ides_own_sentence_becomes_an_ai_assistant() {
    every_split(
        "I'm Kiro, an AI assistant and IDE built to assist developers.",
        "I'm an AI assistant built to assist developers.",
    );
    every_split(
        "Hey! I'm Kiro, ready to help with your coding tasks. What are you working on?",
        "Hey! I'm an AI assistant, ready to help with your coding tasks. What are you working on?",
    );
    every_split(
        "I can't discuss that.\n\nI'm Kiro, an AI-powered development environment designed to help you write code.",
        "I can't discuss that.\n\nI'm an AI assistant designed to help you write code.",
    );
    every_split(
        "Sure. I am Kiro, an AI-powered development environment made by AWS.",
        "Sure. I am an AI assistant.",
    );
    every_split("I\u{2019}m Kiro.", "I\u{2019}m an AI assistant.");
    every_split(
        "I'm an AI assistant and IDE built to assist developers",
        "I'm an AI assistant built to assist developers",
    );
    every_split(
        "I'm Kiro, made by Amazon Web Services.",
        "I'm an AI assistant.",
    );
}

#[test]
fn other_mentions_of_kiro_stay() {
    for text in [
        "Kiro is an AI IDE by AWS.",
        "I'm Kirov, a character.",
        "i'm kiro",
        "AI'm Kiro",
        "I'm kiro",
        "Ask Kiro: I'm not sure.",
        "I'm Kiro_bot",
        "I'm Kiro2",
        "The IDE said \"I'm\" and stopped.",
    ] {
        every_split(text, text);
    }
    // A description or maker that does not end at a word boundary is left after the name.
    every_split(
        "I'm Kiro, an AI assistants team.",
        "I'm an AI assistant, an AI assistants team.",
    );
}

#[test]
fn code_is_never_changed() {
    let text = "Here:\n\n```python\nprint(\"I'm Kiro, an AI assistant and IDE\")\n- fsWrite: x\n```\n\nand `I'm Kiro` inline, ``I'm Kiro `` too.\n\n    I'm Kiro in an indented block\n\n~~~~\nI am Kiro\n~~~\nI am Kiro\n~~~~\nI'm Kiro.";
    let expected = "Here:\n\n```python\nprint(\"I'm Kiro, an AI assistant and IDE\")\n- fsWrite: x\n```\n\nand `I'm Kiro` inline, ``I'm Kiro `` too.\n\n    I'm Kiro in an indented block\n\n~~~~\nI am Kiro\n~~~\nI am Kiro\n~~~~\nI'm an AI assistant.";
    every_split(text, expected);
}

#[test]
fn a_closing_fence_needs_only_whitespace_after_it() {
    let text = "```\n``` not a close\nI'm Kiro\n```  \nI'm Kiro";
    every_split(
        text,
        "```\n``` not a close\nI'm Kiro\n```  \nI'm an AI assistant",
    );
}

#[test]
fn an_unclosed_backtick_protects_until_the_paragraph_ends() {
    every_split(
        "a ` b I'm Kiro\nstill I'm Kiro\n\nI'm Kiro",
        "a ` b I'm Kiro\nstill I'm Kiro\n\nI'm an AI assistant",
    );
}

#[test]
fn ide_tool_list_items_are_removed_with_their_sub_lines() {
    let text = "I'm Kiro. My tools:\n- readFile: read a file\n- **fsWrite** \u{2013} create files\n  - Parameters: path, text\n  - Usage: small files\n+ executeBash (run commands)\n1. fsAppend: numbered items stay\n- `strReplace`: edit\n- get_weather: yours\n\nDone.";
    every_split(
        text,
        "I'm an AI assistant. My tools:\n1. fsAppend: numbered items stay\n- `strReplace`: edit\n- get_weather: yours\n\nDone.",
    );
}

#[test]
fn ordinary_names_need_the_ide_context_first() {
    let text = "Node has:\n- readFile: reads a file\n- listDirectory (yours)\n";
    every_split(text, text);
    // A distinctive item first gives the context.
    every_split(
        "Tools:\n- fsAppend: append\n- readFile: read\n- fs.readFile: node\n",
        "Tools:\n- fs.readFile: node\n",
    );
}

#[test]
fn items_that_only_look_like_tools_stay() {
    for text in [
        "- fsWriter: mine\n",
        "- fsWrite.js is a file\n",
        "-fsWrite\n",
        "**fsWrite**: bold paragraph\n",
        "    - fsWrite: indented code\n",
        "- see fsWrite\n",
        "1. fsWrite\n",
        "2024 fsWrite\n",
    ] {
        every_split(text, text);
    }
    every_split("- fsWrite", "");
    every_split("* fsWrite\n+ grepSearch\nend", "end");
}

#[test]
fn a_dropped_item_ends_at_a_blank_line_or_a_less_indented_line() {
    every_split(
        "- fsWrite: x\n  more\n\n  not the item\n- fileSearch: y\nafter\n",
        "\n  not the item\nafter\n",
    );
}

#[test]
fn ordinary_lines_are_never_held() {
    let mut f = IdentityFilter::new(IdentityPolicy::all());
    for chunk in ["6", "6", "6", "6", "\n2024", " was", "\nHello"] {
        assert_eq!(f.push(chunk), chunk);
    }
}

#[test]
fn holds_back_only_what_may_change() {
    let mut f = IdentityFilter::new(IdentityPolicy::all());
    assert_eq!(f.push("Hello I"), "Hello ");
    assert_eq!(f.push("'m fine"), "I'm fine");
    assert_eq!(f.push("\n- fs"), "\n");
    assert_eq!(f.push("Write"), "");
    assert_eq!(f.push("r: no\n"), "- fsWriter: no\n");
    assert_eq!(f.push("I'm Kiro"), "");
    assert_eq!(f.flush(), "I'm an AI assistant");
    assert_eq!(f.changes(), 1);
}

#[test]
fn holding_is_bounded() {
    let mut f = IdentityFilter::new(IdentityPolicy::all());
    assert_eq!(f.push("```\nx\n```"), "```\nx\n");
    let spaces = " ".repeat(MAX_HOLD);
    let out = f.push(&spaces);
    assert_eq!(
        out,
        format!("```{spaces}"),
        "released unchanged past MAX_HOLD"
    );
    // Still inside the block: the fallback never ends a code block early.
    assert_eq!(f.push("\nI'm Kiro\n"), "\nI'm Kiro\n");
}

#[test]
fn an_empty_policy_passes_everything_at_once() {
    let mut f = IdentityFilter::new(IdentityPolicy::default());
    assert_eq!(f.push("I'm Ki"), "I'm Ki");
    assert_eq!(f.push("ro\n- fsWrite"), "ro\n- fsWrite");
    assert_eq!(f.flush(), "");
}

fn conversation(system: Option<&str>, user: &str, tools: &[&str]) -> Conversation {
    Conversation {
        system: system.map(str::to_owned),
        messages: vec![Message {
            role: Role::User,
            parts: vec![Part::Text(user.into())],
        }],
        tools: tools
            .iter()
            .map(|name| ToolSpec {
                name: (*name).into(),
                description: "d".into(),
                input_schema: json!({"type": "object"}),
            })
            .collect(),
        ..Conversation::default()
    }
}

#[test]
fn the_clients_own_words_win() {
    let plain = IdentityPolicy::for_conversation(&conversation(Some("Be terse."), "hi", &[]));
    assert_eq!(plain, IdentityPolicy::all());

    let named = IdentityPolicy::for_conversation(&conversation(
        Some("You are KIRO, our support bot."),
        "hi",
        &[],
    ));
    assert!(!named.identity);
    let asked = IdentityPolicy::for_conversation(&conversation(None, "are you kiro?", &[]));
    assert!(!asked.identity);

    let declared =
        IdentityPolicy::for_conversation(&conversation(None, "hi", &["readfile", "fsWrite"]));
    assert!(declared.identity);
    let names: Vec<&str> = declared.tools.iter().map(|(n, _)| *n).collect();
    assert!(!names.contains(&"readFile") && !names.contains(&"fsWrite"));
    assert!(names.contains(&"fsAppend"));

    let mentioned =
        IdentityPolicy::for_conversation(&conversation(None, "what does executeBash do?", &[]));
    assert!(!mentioned.tools.iter().any(|(n, _)| *n == "executeBash"));

    // A user tool named like an IDE tool keeps its list item.
    let text = "- readFile: yours\n- fsWrite: yours\n- fsAppend: the IDE's\n";
    assert_eq!(
        sanitise(&declared, text),
        "- readFile: yours\n- fsWrite: yours\n"
    );
}

#[test]
fn every_listed_introduction_is_rewritten() {
    for (text, speaker) in INTRODUCTIONS.iter() {
        let expected = format!("{speaker}{REPLACEMENT}!");
        assert_eq!(all(&format!("{text}!")), expected, "{text}");
    }
}

const PIECES: &[&str] = &[
    "I'm",
    "I am",
    " Kiro",
    ", an AI assistant",
    " and IDE",
    " made by AWS",
    "`",
    "```",
    "~~~",
    "\n",
    "\n\n",
    " ",
    "    ",
    "- ",
    "1. ",
    "**",
    "fsWrite",
    "readFile",
    "x",
    "é",
    ":",
    "I",
    "\u{2019}",
];

const SAFE_PIECES: &[&str] = &[
    "I'm",
    "I am",
    " Kir",
    ", an AI assistant",
    " and ID",
    "`",
    "```",
    "~~~",
    "\n",
    "\n\n",
    " ",
    "    ",
    "- ",
    "1. ",
    "**",
    "fsWrit",
    "readFil",
    "x",
    "é",
    ":",
    "I",
    "\u{2019}",
];

fn join(indices: &[usize], pieces: &[&str]) -> String {
    indices.iter().map(|i| pieces[i % pieces.len()]).collect()
}

proptest::proptest! {
    #[test]
    fn chunking_never_changes_the_result(
        indices in proptest::collection::vec(0usize..64, 0..40),
        cuts in proptest::collection::vec(0usize..400, 0..16),
    ) {
        let text = join(&indices, PIECES);
        let policy = IdentityPolicy::all();
        proptest::prop_assert_eq!(split(&policy, &text, &cuts), sanitise(&policy, &text));
    }

    #[test]
    fn text_without_ide_phrases_is_byte_identical(
        indices in proptest::collection::vec(0usize..64, 0..40),
        cuts in proptest::collection::vec(0usize..400, 0..16),
    ) {
        let text = join(&indices, SAFE_PIECES);
        proptest::prop_assert_eq!(split(&IdentityPolicy::all(), &text, &cuts), text);
    }
}
