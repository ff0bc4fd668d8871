//! Shapes of the AWS identifiers the gateway accepts from users and credential files.

/// `^[a-z]{2}(-[a-z]+)+-\d+$`, e.g. `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() < 3 {
        return false;
    }
    let (first, middle, last) = (parts[0], &parts[1..parts.len() - 1], parts[parts.len() - 1]);
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && middle
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// A well-formed CodeWhisperer profile ARN, `arn:aws:codewhisperer:{region}:{digits}:profile/{id}`,
/// and not a documentation placeholder such as `profile/...`.
pub fn is_profile_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "codewhisperer" {
        return false;
    }
    let region_ok = !parts[3].is_empty()
        && parts[3]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = !parts[4].is_empty() && parts[4].bytes().all(|b| b.is_ascii_digit());
    let id_ok = parts[5].strip_prefix("profile/").is_some_and(|id| {
        id.bytes().any(|b| b.is_ascii_alphanumeric())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    region_ok && account_ok && id_ok
}

/// The region of a profile ARN (its 4th `:` field) when it looks like a region.
pub fn arn_region(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    is_region(region).then(|| region.to_owned())
}

/// Levenshtein distance in characters, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-1",
            "ap-southeast-2",
            "us-gov-west-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "us-1",
            "us--1",
            "us-east-",
            "useast-1",
            "us-east-1a",
            "EU-central-1",
            "",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn profile_arns() {
        let arn = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
        assert!(is_profile_arn(arn));
        assert_eq!(arn_region(arn).as_deref(), Some("us-east-1"));
        for bad in [
            "arn:aws:codewhisperer:us-east-1:...:profile/x",
            "arn:aws:codewhisperer:us-east-1:1:profile/...",
            "arn:aws:codewhisperer:us-east-1:699:profile/",
            "arn:aws:codewhisperer:US:699:profile/x",
            "arn:aws:s3:us-east-1:1:profile/x",
        ] {
            assert!(!is_profile_arn(bad), "{bad}");
        }
        assert_eq!(arn_region("arn:aws:codewhisperer:EU:1:profile/x"), None);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("prot", "port"), 2);
    }
}
