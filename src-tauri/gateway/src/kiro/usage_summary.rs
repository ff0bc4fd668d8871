//! The remaining credits of the Kiro account in use, as the tray, the Overview and the
//! logins list show them (filled by [`super::usage_limits`]).

use chrono::{DateTime, Utc};

/// The remaining credits of the signed-in Kiro account.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UsageSummary {
    /// `subscriptionInfo.subscriptionTitle`, e.g. `KIRO PRO`.
    pub subscription: Option<String>,
    /// Used this period, including active free-trial and bonus usage.
    pub used: f64,
    /// The period's limit, including active free-trial and bonus limits.
    pub limit: f64,
    /// `limit − used`, never below 0.
    pub remaining: f64,
    /// `displayNamePlural` of the bucket, e.g. `Credits`.
    pub unit_plural: String,
    /// When the period resets (RFC 3339 in JSON).
    pub resets_at: Option<DateTime<Utc>>,
}

impl UsageSummary {
    /// `587 credits left` (whole units, rounded down; `0 credits left` when used up).
    pub fn short_label(&self) -> String {
        let whole = if self.remaining.is_finite() {
            self.remaining.max(0.0).floor() as u64
        } else {
            0
        };
        let unit = self.unit_plural.to_lowercase();
        // One left: "1 credit left", not "1 credits left".
        let unit = match unit.strip_suffix('s') {
            Some(singular) if whole == 1 && !singular.is_empty() => singular.to_owned(),
            _ => unit,
        };
        format!("{whole} {unit} left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(remaining: f64, unit: &str) -> UsageSummary {
        UsageSummary {
            subscription: None,
            used: 0.0,
            limit: remaining.max(0.0),
            remaining,
            unit_plural: unit.into(),
            resets_at: None,
        }
    }

    #[test]
    fn short_label_rounds_down_and_never_goes_negative() {
        assert_eq!(summary(587.99, "Credits").short_label(), "587 credits left");
        assert_eq!(summary(0.4, "Credits").short_label(), "0 credits left");
        assert_eq!(summary(0.0, "Credits").short_label(), "0 credits left");
        assert_eq!(summary(1.5, "Credits").short_label(), "1 credit left");
        assert_eq!(summary(2.0, "Requests").short_label(), "2 requests left");
        assert_eq!(summary(f64::NAN, "Credits").short_label(), "0 credits left");
    }
}
