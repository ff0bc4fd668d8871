//! `DEBUG_MODE`: which requests leave a dump.

use std::fmt;
use std::str::FromStr;

/// Which requests are dumped. `Off` is the default: dumps hold whole prompts and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DumpMode {
    #[default]
    Off,
    /// Only requests that failed (an error status, or an error in the middle of a stream).
    Errors,
    All,
}

impl DumpMode {
    pub const ALLOWED: &'static str = "off, errors or all";

    pub fn as_str(self) -> &'static str {
        match self {
            DumpMode::Off => "off",
            DumpMode::Errors => "errors",
            DumpMode::All => "all",
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_u8(n: u8) -> Self {
        match n {
            1 => DumpMode::Errors,
            2 => DumpMode::All,
            _ => DumpMode::Off,
        }
    }
}

impl FromStr for DumpMode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "false" | "0" => Ok(DumpMode::Off),
            "errors" | "error" => Ok(DumpMode::Errors),
            "all" => Ok(DumpMode::All),
            _ => Err(()),
        }
    }
}

impl fmt::Display for DumpMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        for mode in [DumpMode::Off, DumpMode::Errors, DumpMode::All] {
            assert_eq!(mode.as_str().parse::<DumpMode>(), Ok(mode));
            assert_eq!(DumpMode::from_u8(mode.to_u8()), mode);
        }
        assert_eq!(" ERRORS ".parse::<DumpMode>(), Ok(DumpMode::Errors));
        assert!("verbose".parse::<DumpMode>().is_err());
    }
}
