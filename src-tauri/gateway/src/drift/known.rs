//! What this version of the gateway knows about Kiro's wire format: the event types, the
//! fields of the events it reads, the stop reasons, the exception names and error reasons of
//! the protocol notes (`docs/kiro-protocol-notes.md`, "What the drift detector knows").
//! Anything else Kiro sends is drift.

/// Event types the gateway reads, with the payload fields it knows for each.
const READ_EVENTS: &[(&str, &[&str])] = &[
    (
        "assistantResponseEvent",
        &[
            "content",
            "modelId",
            // Older answers; harmless.
            "conversationId",
            "messageId",
            "messageStatus",
            "followupPrompt",
        ],
    ),
    ("toolUseEvent", &["toolUseId", "name", "input", "stop"]),
    (
        "reasoningContentEvent",
        &["text", "signature", "redactedContent"],
    ),
    (
        "meteringEvent",
        &[
            "unit",
            "unitPlural",
            "usage",
            "usedTools",
            "inputTokens",
            "outputTokens",
        ],
    ),
    ("contextUsageEvent", &["contextUsagePercentage"]),
    (
        "metadataEvent",
        &["tokenUsage", "stopReason", "stopDetails"],
    ),
    ("invalidStateEvent", &["reason", "message"]),
];

/// Event types the protocol notes list as carrying nothing the gateway needs; ignored on
/// purpose, so not drift.
const IGNORED_EVENTS: &[&str] = &[
    "messageMetadataEvent",
    "followupPromptEvent",
    "codeReferenceEvent",
    "supplementaryWebLinksEvent",
    "codeEvent",
    "citationEvent",
    "intentsEvent",
    "interactionComponentsEvent",
    "toolResultEvent",
    "dryRunSucceedEvent",
    "initial-response",
];

/// Fields of `metadataEvent.tokenUsage`.
pub const TOKEN_USAGE_FIELDS: &[&str] = &[
    "uncachedInputTokens",
    "outputTokens",
    "totalTokens",
    "cacheReadInputTokens",
    "cacheWriteInputTokens",
];

/// `metadataEvent.stopReason` values.
pub const STOP_REASONS: &[&str] = &[
    "CONTENT_FILTERED",
    "END_TURN",
    "MAX_TOKENS",
    "MODEL_CONTEXT_WINDOW_EXCEEDED",
    "PAUSE_TURN",
    "TOOL_USE",
    "UNKNOWN",
];

/// Exception names, in error bodies (`__type` after `#`) and in `exception` frames.
pub const EXCEPTIONS: &[&str] = &[
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
    "AccessDeniedException",
    "ConflictException",
    "InternalServerException",
    "ServiceUnavailableException",
    "ContentLengthExceededException",
    // Mid-stream: an internal error (the exception type is literally `error`).
    "error",
];

/// `reason` values of error bodies (and of `invalidStateEvent`).
pub const REASONS: &[&str] = &[
    "REQUEST_BODY_INVALID",
    "CONTENT_LENGTH_EXCEEDS_THRESHOLD",
    "THINKING_SIGNATURE_INVALID",
    "INVALID_MODEL_ID",
    "INVALID_CONVERSATION_ID",
    "INVALID_KMS_GRANT",
    "MONTHLY_REQUEST_COUNT",
    "DAILY_REQUEST_COUNT",
    "OVERAGE_REQUEST_LIMIT_EXCEEDED",
    "CONVERSATION_LIMIT_EXCEEDED",
    "FEATURE_NOT_SUPPORTED",
    "TEMPORARILY_SUSPENDED",
    "CREDIT_CONSUMPTION_RATE_EXCEEDED",
    "USER_REQUEST_RATE_EXCEEDED",
    "SERVICE_REQUEST_RATE_EXCEEDED",
    "INSUFFICIENT_MODEL_CAPACITY",
    "MODEL_TEMPORARILY_UNAVAILABLE",
    "CUSTOMER_KMS_KEY_DISABLED",
    "CUSTOMER_KMS_KEY_INVALID_KEY_POLICY",
    "MISMATCHED_KMS_KEY",
    "INVALID_TASK_ASSIST_PLAN",
];

/// Top-level keys of an error body.
pub const ERROR_BODY_FIELDS: &[&str] = &[
    "__type",
    "message",
    "Message",
    "reason",
    "retryAfterMilliseconds",
    "detail",
    "error",
    "Output",
];

/// What the gateway knows about an event type.
pub enum EventType {
    /// Read; these are its fields.
    Read(&'static [&'static str]),
    /// Listed in the notes and ignored on purpose.
    Ignored,
    Unknown,
}

pub fn event_type(name: &str) -> EventType {
    if let Some((_, fields)) = READ_EVENTS.iter().find(|(n, _)| *n == name) {
        return EventType::Read(fields);
    }
    if IGNORED_EVENTS.contains(&name) {
        EventType::Ignored
    } else {
        EventType::Unknown
    }
}

/// The exception name of a `__type` (`<namespace>#<Name>`, or the bare name).
pub fn exception_name(type_value: &str) -> &str {
    type_value.rsplit('#').next().unwrap_or_default().trim()
}
