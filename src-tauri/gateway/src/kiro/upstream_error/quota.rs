//! Which allowance of the Kiro plan is spent ([`QuotaReason`]).

/// Which allowance of the Kiro plan is spent (docs/kiro-protocol.md#error-catalogue, the 402 row
/// and the allowance reasons of the 429 row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaReason {
    /// `MONTHLY_REQUEST_COUNT`
    Monthly,
    /// `DAILY_REQUEST_COUNT`
    Daily,
    /// `OVERAGE_REQUEST_LIMIT_EXCEEDED`: the overage cap on top of the plan is reached too.
    Overage,
    /// `CONVERSATION_LIMIT_EXCEEDED` (meaning not documented).
    Conversation,
    /// A 402 / `ServiceQuotaExceededException` without a known reason.
    Unspecified,
}

/// The `reason` values that name an allowance, as Kiro spells them.
const QUOTA_REASONS: &[(&str, QuotaReason)] = &[
    ("MONTHLY_REQUEST_COUNT", QuotaReason::Monthly),
    ("DAILY_REQUEST_COUNT", QuotaReason::Daily),
    ("OVERAGE_REQUEST_LIMIT_EXCEEDED", QuotaReason::Overage),
    ("CONVERSATION_LIMIT_EXCEEDED", QuotaReason::Conversation),
];

impl QuotaReason {
    /// The allowance a declared `reason` names, if it names one.
    pub fn from_reason(reason: &str) -> Option<Self> {
        QUOTA_REASONS
            .iter()
            .find(|(name, _)| *name == reason)
            .map(|(_, q)| *q)
    }

    /// For bodies without `__type` and `reason`: an allowance reason quoted in the text.
    pub(super) fn in_text(text: &str) -> Option<Self> {
        QUOTA_REASONS
            .iter()
            .find(|(name, _)| text.contains(name))
            .map(|(_, q)| *q)
    }

    /// What the user reads in the error message.
    pub(super) fn describe(self) -> &'static str {
        match self {
            QuotaReason::Monthly => "monthly limit reached",
            QuotaReason::Daily => "daily limit reached",
            QuotaReason::Overage => "overage limit reached",
            QuotaReason::Conversation => "conversation limit reached",
            QuotaReason::Unspecified => "no credits left",
        }
    }

    /// Whether it comes back when the plan's period resets (`nextDateReset` of
    /// `GetUsageLimits`); a daily limit resets sooner, the conversation limit is unknown.
    pub(super) fn resets_with_the_period(self) -> bool {
        matches!(
            self,
            QuotaReason::Monthly | QuotaReason::Overage | QuotaReason::Unspecified
        )
    }
}
