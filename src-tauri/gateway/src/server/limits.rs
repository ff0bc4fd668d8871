//! The open-file limit: raised at start, and the connection cap kept below it.

/// The soft limit asked for: far above what the connection cap needs, yet not the hard
/// limit itself when that is huge (child processes inherit the soft limit, and some still
/// size tables by it).
pub(crate) const OPEN_FILES_WANTED: u64 = 65_536;

/// Descriptors kept back from client connections: upstream connections, the listener, log
/// and database files, refused connections being closed.
pub(crate) const OPEN_FILES_HEADROOM: u64 = 128;

/// Raise the soft `RLIMIT_NOFILE` toward the hard limit (at most [`OPEN_FILES_WANTED`]) and
/// return the soft limit now in force; `None` where there is no such limit (not Unix) or it
/// cannot be read. Calling it again changes nothing.
#[cfg(unix)]
pub(crate) fn raise_open_file_limit() -> Option<u64> {
    let before = match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, _hard)) => soft,
        Err(err) => {
            tracing::warn!("cannot read the open-file limit: {err}");
            return None;
        }
    };
    match rlimit::increase_nofile_limit(OPEN_FILES_WANTED) {
        Ok(now) if now > before => {
            tracing::info!("open-file limit raised from {before} to {now}");
            Some(now)
        }
        Ok(_) => {
            tracing::debug!("open-file limit stays at {before}");
            Some(before)
        }
        Err(err) => {
            tracing::warn!("cannot raise the open-file limit from {before}: {err}");
            Some(before)
        }
    }
}

#[cfg(not(unix))]
pub(crate) fn raise_open_file_limit() -> Option<u64> {
    None
}

/// The connection cap in force: the configured one, lowered when the open-file limit is
/// known so that every client connection can also hold an upstream connection and
/// [`OPEN_FILES_HEADROOM`] descriptors stay free.
pub(crate) fn connection_cap(configured: usize, open_files: Option<u64>) -> usize {
    let Some(open_files) = open_files else {
        return configured;
    };
    let affordable = (open_files.saturating_sub(OPEN_FILES_HEADROOM) / 2).max(1);
    let affordable = usize::try_from(affordable).unwrap_or(usize::MAX);
    if affordable < configured {
        tracing::warn!(
            "serving at most {affordable} connections (not {configured}): the open-file limit is {open_files}"
        );
    }
    configured.min(affordable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_headroom_below_the_open_file_limit() {
        assert_eq!(connection_cap(512, None), 512);
        assert_eq!(connection_cap(512, Some(65_536)), 512);
        assert_eq!(connection_cap(2048, Some(1024)), 448);
        assert_eq!(connection_cap(512, Some(256)), 64);
        assert_eq!(connection_cap(512, Some(100)), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_toward_the_hard_limit_once() {
        use rlimit::Resource;
        let (_, hard) = rlimit::getrlimit(Resource::NOFILE).unwrap();
        let low = hard.min(256);
        rlimit::setrlimit(Resource::NOFILE, low, hard).unwrap();

        let raised = raise_open_file_limit().expect("a Unix limit");

        let (soft, hard_after) = rlimit::getrlimit(Resource::NOFILE).unwrap();
        assert_eq!(soft, raised);
        assert_eq!(hard_after, hard, "the hard limit is left alone");
        assert!(soft <= OPEN_FILES_WANTED.min(hard));
        if cfg!(target_os = "linux") {
            assert_eq!(soft, OPEN_FILES_WANTED.min(hard));
        } else {
            assert!(soft >= low);
        }
        assert_eq!(
            raise_open_file_limit(),
            Some(soft),
            "a second call keeps it"
        );
        assert_eq!(rlimit::getrlimit(Resource::NOFILE).unwrap().0, soft);
    }
}
