//! A debug bundle: one dump's files and the drift report in one zip (deflate), each file
//! redacted once more on the way in (a secret learned after the dump was written is scrubbed
//! too).

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::redact::redact;
use crate::logs::Redactor;

/// The zip of `files` (name, contents) inside a folder named `folder`.
pub fn zip(
    folder: &str,
    files: &[(&str, Vec<u8>)],
    redactor: &Redactor,
) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o600);
    for (name, bytes) in files {
        zip.start_file(format!("{folder}/{name}"), options)
            .map_err(std::io::Error::other)?;
        let text = redact(&String::from_utf8_lossy(bytes), redactor);
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_in_redacted_and_compressed() {
        let redactor = Redactor::new();
        redactor.add("kgw_secret_in_a_file");
        let big = "same line again\n".repeat(1000);
        let bytes = zip(
            "req_1",
            &[
                ("error.json", br#"{"k":"kgw_secret_in_a_file"}"#.to_vec()),
                ("client-response.http", big.clone().into_bytes()),
            ],
            &redactor,
        )
        .unwrap();
        assert!(bytes.len() < big.len() / 4, "deflated: {}", bytes.len());
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("req_1/error.json").unwrap(), &mut text)
            .unwrap();
        assert_eq!(text, r#"{"k":"***"}"#);
    }
}
