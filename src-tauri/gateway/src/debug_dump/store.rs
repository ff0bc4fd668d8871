//! The dump folder: `<dir>/requests/<request id>/` per request, written whole (a temporary
//! folder renamed into place), then the oldest folders deleted until at most `max_count`
//! remain and together they hold at most `max_bytes`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::Value;

use super::files;

/// Where the request folders are, inside the dump directory.
const REQUESTS: &str = "requests";

/// The folder name of a request id: characters other than `A–Z a–z 0–9 . _ -` become `_`,
/// and a leading `.` gets a `_` before it (no hidden folders, no `..`).
pub fn folder_name(request_id: &str) -> String {
    let mut name: String = request_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        name.insert(0, '_');
    }
    name
}

/// One dump as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DumpEntry {
    pub id: String,
    pub bytes: u64,
    /// `error.json`, as written.
    pub summary: Value,
}

pub struct DumpStore {
    dir: PathBuf,
    pub max_count: usize,
    pub max_bytes: u64,
    /// One writer at a time (write + prune).
    writing: Mutex<()>,
}

impl DumpStore {
    pub fn new(dir: PathBuf, max_count: usize, max_bytes: u64) -> Self {
        DumpStore {
            dir,
            max_count: max_count.max(1),
            max_bytes,
            writing: Mutex::new(()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn requests(&self) -> PathBuf {
        self.dir.join(REQUESTS)
    }

    /// The folder of `request_id` (which need not exist).
    pub fn folder(&self, request_id: &str) -> PathBuf {
        self.requests().join(folder_name(request_id))
    }

    /// Write one dump (replacing an older one of the same id), then keep the bounds.
    pub fn write(&self, request_id: &str, files: &[(&str, String)]) -> io::Result<PathBuf> {
        let _one = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let requests = self.requests();
        fs::create_dir_all(&requests)?;
        let target = self.folder(request_id);
        let temp = requests.join(format!(
            ".tmp-{}-{}",
            folder_name(request_id),
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir(&temp)?;
        let written = (|| {
            for (name, text) in files {
                fs::write(temp.join(name), text)?;
            }
            if target.exists() {
                fs::remove_dir_all(&target)?;
            }
            fs::rename(&temp, &target)
        })();
        if let Err(err) = written {
            let _ = fs::remove_dir_all(&temp);
            return Err(err);
        }
        self.prune()?;
        Ok(target)
    }

    /// Delete the oldest dumps beyond the bounds.
    fn prune(&self) -> io::Result<()> {
        let mut dumps = self.scan()?;
        dumps.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        let mut total: u64 = dumps.iter().map(|d| d.2).sum();
        let mut count = dumps.len();
        for (path, _, bytes) in dumps {
            if count <= self.max_count && total <= self.max_bytes {
                break;
            }
            fs::remove_dir_all(&path)?;
            count -= 1;
            total -= bytes;
        }
        Ok(())
    }

    /// `(folder, modified, bytes)` of every dump folder.
    fn scan(&self) -> io::Result<Vec<(PathBuf, SystemTime, u64)>> {
        let entries = match fs::read_dir(self.requests()) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut dumps = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden || !path.is_dir() {
                continue;
            }
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            dumps.push((path.clone(), modified, folder_bytes(&path)));
        }
        Ok(dumps)
    }

    /// Every dump, newest first.
    pub fn list(&self) -> io::Result<Vec<DumpEntry>> {
        let mut dumps = self.scan()?;
        dumps.sort_by(|a, b| (b.1, &b.0).cmp(&(a.1, &a.0)));
        Ok(dumps
            .into_iter()
            .map(|(path, _, bytes)| {
                let summary = fs::read(path.join(files::SUMMARY))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null);
                let id = summary["request_id"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        path.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into()
                    });
                DumpEntry { id, bytes, summary }
            })
            .collect())
    }

    /// The files of one dump, in [`files::ALL`] order; `None` when there is no such dump.
    pub fn read(&self, request_id: &str) -> Option<Vec<(&'static str, Vec<u8>)>> {
        let folder = self.folder(request_id);
        if !folder.is_dir() {
            return None;
        }
        Some(
            files::ALL
                .iter()
                .map(|name| (*name, fs::read(folder.join(name)).unwrap_or_default()))
                .collect(),
        )
    }

    /// Bytes of every dump together.
    pub fn total_bytes(&self) -> u64 {
        self.scan()
            .map(|d| d.iter().map(|(_, _, b)| b).sum())
            .unwrap_or(0)
    }
}

fn folder_bytes(path: &Path) -> u64 {
    fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Write `path` whole or not at all (a temporary file in the same folder, renamed).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(id: &str, size: usize) -> Vec<(&'static str, String)> {
        vec![
            (files::SUMMARY, format!(r#"{{"request_id":"{id}"}}"#)),
            (files::CLIENT_REQUEST, "x".repeat(size)),
        ]
    }

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(folder_name("req_abc"), "req_abc");
        assert_eq!(folder_name("trace:1.x"), "trace_1.x");
        assert_eq!(folder_name(".."), "_..");
        assert_eq!(folder_name("a/b"), "a_b");
        assert_eq!(folder_name(""), "_");
    }

    #[test]
    fn count_and_bytes_stay_bounded_oldest_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = DumpStore::new(dir.path().to_path_buf(), 3, 10_000);
        for i in 0..6 {
            store
                .write(&format!("r{i}"), &dump(&format!("r{i}"), 100))
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let ids: Vec<String> = store.list().unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(ids, ["r5", "r4", "r3"]);
        for i in 6..12 {
            store
                .write(&format!("r{i}"), &dump(&format!("r{i}"), 4_000))
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(store.total_bytes() <= 10_000);
        let ids: Vec<String> = store.list().unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(ids, ["r11", "r10"]);
        assert!(store.read("r11").is_some());
        assert!(store.read("r0").is_none());
    }

    #[test]
    fn the_same_id_replaces_its_dump() {
        let dir = tempfile::tempdir().unwrap();
        let store = DumpStore::new(dir.path().to_path_buf(), 5, 1 << 20);
        store.write("same", &dump("same", 10)).unwrap();
        store.write("same", &dump("same", 20)).unwrap();
        let list = store.list().unwrap();
        assert_eq!(list.len(), 1);
        let files = store.read("same").unwrap();
        assert_eq!(files[1].1.len(), 20);
    }
}
