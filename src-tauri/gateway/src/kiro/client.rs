//! The upstream client: headers, retries before the first byte, first-token and idle timeouts.
