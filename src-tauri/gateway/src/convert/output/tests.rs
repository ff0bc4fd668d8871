//! The neutral machine on its own: Kiro events in, output events out.

use crate::convert::output::{FinishReason, OutputEvent, OutputMachine, OutputOptions, Usage};
use crate::convert::trailer::CompletionRule;
use crate::error::ErrorKind;
use crate::kiro::events::{KiroEvent, TokenUsage};

fn machine(opts: OutputOptions) -> OutputMachine {
    OutputMachine::new(OutputOptions {
        completion: CompletionRule::Tolerant,
        prompt_tokens_estimate: 42,
        context_window: 200_000,
        ..opts
    })
}

fn run(m: &mut OutputMachine, events: Vec<KiroEvent>) -> Vec<OutputEvent> {
    let mut out: Vec<OutputEvent> = events.into_iter().flat_map(|e| m.on_event(e)).collect();
    out.extend(m.finish());
    out
}

fn finish_of(events: &[OutputEvent]) -> (FinishReason, Usage) {
    match events.last() {
        Some(OutputEvent::Finish(f)) => (f.reason, f.usage.clone()),
        other => panic!("no finish: {other:?}"),
    }
}

#[test]
fn text_and_reasoning_go_out_in_order_then_the_finish() {
    let mut m = machine(OutputOptions {
        reasoning_tags: true,
        ..Default::default()
    });
    let out = run(
        &mut m,
        vec![
            KiroEvent::Text("<thinking>hm</thinking>".into()),
            KiroEvent::Text("Hi".into()),
            KiroEvent::Text("Hi".into()),
            KiroEvent::ContextUsage { percentage: 1.0 },
        ],
    );
    let text: String = out
        .iter()
        .filter_map(|e| match e {
            OutputEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text.trim_start(), "HiHi", "repeated chunks are kept");
    assert_eq!(out[0], OutputEvent::Reasoning("hm".into()));
    let (reason, usage) = finish_of(&out);
    assert_eq!(reason, FinishReason::EndTurn);
    assert_eq!(usage.context_tokens, Some(2000));
    assert_eq!(usage.prompt_tokens(), 2000 - usage.output_tokens);
    assert!(usage.reasoning_tokens.is_some());
    assert!(m.is_finished());
    assert!(m.finish().is_empty(), "finish twice");
}

#[test]
fn a_tool_call_is_released_whole_and_ends_with_tool_calls() {
    let mut m = machine(OutputOptions::default());
    let out = run(
        &mut m,
        vec![
            KiroEvent::ToolUse {
                tool_use_id: "tooluse_1".into(),
                name: "f".into(),
                input: Some("{\"a\":".into()),
                stop: false,
            },
            KiroEvent::ToolUse {
                tool_use_id: "tooluse_1".into(),
                name: "f".into(),
                input: Some("1}".into()),
                stop: true,
            },
            KiroEvent::ContextUsage { percentage: 1.0 },
        ],
    );
    assert_eq!(
        out[..3],
        [
            OutputEvent::ToolCallStart {
                index: 0,
                id: "tooluse_1".into(),
                name: "f".into()
            },
            OutputEvent::ToolCallArguments {
                index: 0,
                fragment: "{\"a\":".into()
            },
            OutputEvent::ToolCallArguments {
                index: 0,
                fragment: "1}".into()
            },
        ]
    );
    assert_eq!(finish_of(&out).0, FinishReason::ToolCalls);
    assert_eq!(m.tool_calls().len(), 1);
}

#[test]
fn a_stop_sequence_cuts_and_finishes_the_machine() {
    let mut m = machine(OutputOptions {
        stop: vec!["STOP".into()],
        ..Default::default()
    });
    let out = m.on_event(KiroEvent::Text("abc STOP tail".into()));
    assert_eq!(out, vec![OutputEvent::Text("abc ".into())]);
    assert!(m.is_finished() && m.cut().is_some());
    assert!(m.on_event(KiroEvent::Text("more".into())).is_empty());
    let out = m.finish();
    let Some(OutputEvent::Finish(finish)) = out.last() else {
        panic!("{out:?}")
    };
    assert_eq!(finish.reason, FinishReason::StopSequence);
    assert_eq!(finish.stop_sequence.as_deref(), Some("STOP"));
}

#[test]
fn an_exception_fails_after_held_text_and_nothing_follows() {
    let mut m = machine(OutputOptions {
        stop: vec!["XYZ".into()],
        ..Default::default()
    });
    assert_eq!(
        m.on_event(KiroEvent::Text("ab X".into())),
        vec![OutputEvent::Text("ab ".into())]
    );
    let out = m.on_event(KiroEvent::Exception {
        exception_type: "ThrottlingException".into(),
        message: "slow down".into(),
    });
    assert_eq!(out[0], OutputEvent::Text("X".into()));
    let OutputEvent::Failure(error) = &out[1] else {
        panic!("{out:?}")
    };
    assert_eq!(error.kind, ErrorKind::RateLimit);
    assert!(m.is_finished() && m.error().is_some());
    assert!(m.finish().is_empty());
    assert!(m.on_failure(error.clone()).is_empty());
}

#[test]
fn content_length_exceeded_and_upstream_stop_reasons() {
    let cases = [
        (
            KiroEvent::Exception {
                exception_type: "ContentLengthExceededException".into(),
                message: String::new(),
            },
            FinishReason::MaxTokens,
        ),
        (
            KiroEvent::Metadata {
                token_usage: None,
                stop_reason: Some("MODEL_CONTEXT_WINDOW_EXCEEDED".into()),
            },
            FinishReason::ContextWindow,
        ),
        (
            KiroEvent::Metadata {
                token_usage: None,
                stop_reason: Some("CONTENT_FILTERED".into()),
            },
            FinishReason::ContentFilter,
        ),
        (
            KiroEvent::ContextUsage { percentage: 100.0 },
            FinishReason::ContextWindow,
        ),
        (
            KiroEvent::Other {
                event_type: "x".into(),
            },
            FinishReason::MaxTokens,
        ),
    ];
    for (event, expected) in cases {
        let mut m = machine(OutputOptions::default());
        let out = run(&mut m, vec![KiroEvent::Text("a".into()), event.clone()]);
        assert_eq!(finish_of(&out).0, expected, "{event:?}");
    }
}

#[test]
fn upstream_counts_win_and_the_two_prompt_sums_differ_only_in_the_cache() {
    let mut m = machine(OutputOptions::default());
    let out = run(
        &mut m,
        vec![
            KiroEvent::Text("a".into()),
            KiroEvent::Metadata {
                token_usage: Some(TokenUsage {
                    uncached_input_tokens: Some(10),
                    cache_read_input_tokens: Some(5),
                    cache_write_input_tokens: Some(2),
                    output_tokens: Some(7),
                    ..Default::default()
                }),
                stop_reason: None,
            },
        ],
    );
    let (_, usage) = finish_of(&out);
    assert_eq!(usage.output_tokens, 7);
    assert_eq!(usage.prompt_tokens(), 17);
    assert_eq!(usage.uncached_prompt_tokens(), 10);
}

#[test]
fn signatures_and_encrypted_reasoning_are_passed_on() {
    let mut m = machine(OutputOptions::default());
    let out = m.on_event(KiroEvent::Reasoning {
        text: Some("t".into()),
        signature: Some("sig".into()),
        redacted_content: Some("data".into()),
    });
    assert_eq!(
        out,
        vec![
            OutputEvent::Reasoning("t".into()),
            OutputEvent::ReasoningSignature("sig".into()),
            OutputEvent::EncryptedReasoning("data".into()),
        ]
    );
}
