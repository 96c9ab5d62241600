//! A real local S3-compatible server for the S3 store's tests and benchmark: moto's S3 in server mode, run by
//! `scripts/s3-test-server.py` on a free loopback port in a temporary folder, stopped when dropped.
//!
//! Its Python is `$ZIMBOT_S3_PYTHON`, by default `~/.cache/zimbot/s3-test-server/bin/python`, which
//! `scripts/install-s3-test-server` (run by `scripts/test`) installs.

use serde::Deserialize;
use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use zimbot_client::{S3Config, S3Link, DEFAULT_PART_CONCURRENCY, MIN_PART_SIZE};

/// What the server prints once it is ready.
#[derive(Debug, Clone, Deserialize)]
pub struct S3Access {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// A running server; stopped (and its folder removed) when dropped.
pub struct S3TestServer {
    pub access: S3Access,
    child: Child,
    _folder: tempfile::TempDir,
}

/// Options of one server.
#[derive(Debug, Default, Clone)]
pub struct S3ServerOptions {
    /// Check every request's signature and key (no anonymous reads then).
    pub check_signatures: bool,
    /// No public-read policy on the bucket: anonymous reads are refused.
    pub private: bool,
    /// `(part number, times)`: answer the first `times` uploads of that part with HTTP 500; `None` times is always.
    pub failing_parts: Vec<(u32, Option<u32>)>,
}

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("ZIMBOT_S3_PYTHON") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/zimbot/s3-test-server/bin/python")
}

impl S3TestServer {
    /// Starts a server with public-read bucket and no checks of signatures.
    pub fn start() -> Self {
        Self::start_with(S3ServerOptions::default())
    }

    pub fn start_with(options: S3ServerOptions) -> Self {
        let python = python();
        assert!(
            python.exists(),
            "the local S3 server is not installed ({} is missing): run scripts/install-s3-test-server",
            python.display()
        );
        // This file is used from more than one crate: find the script from the crate's folder upwards.
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|folder| folder.join("scripts/s3-test-server.py"))
            .find(|script| script.exists())
            .expect("scripts/s3-test-server.py in the repository");
        let folder = tempfile::tempdir().expect("a temporary folder");
        let log = folder.path().join("server.log");
        let mut command = Command::new(&python);
        command.arg(&script).current_dir(folder.path());
        if options.check_signatures {
            command.arg("--auth");
        }
        if options.private {
            command.arg("--private");
        }
        for (part, times) in &options.failing_parts {
            let times = times.map_or_else(|| "always".to_owned(), |times| times.to_string());
            command.arg("--fail-part").arg(format!("{part}:{times}"));
        }
        // Its standard input is the leash: the server exits when it closes, also if this process dies.
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the server's log file"))
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {}: {error}", python.display()));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the S3 server's first line");
        let access: S3Access = serde_json::from_str(&line).unwrap_or_else(|error| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = log.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
            panic!("the S3 server did not start ({error}); it printed {line:?} and logged:\n{tail}")
        });
        Self { access, child, _folder: folder }
    }

    /// A store config for this server with public links straight from the bucket, 5 MiB parts.
    pub fn config(&self) -> S3Config {
        S3Config {
            bucket: self.access.bucket.clone(),
            region: self.access.region.clone(),
            endpoint: Some(self.access.endpoint.clone()),
            path_style: true,
            access_key_id: self.access.access_key_id.clone(),
            secret_access_key: self.access.secret_access_key.clone(),
            key_prefix: "zimbot/".into(),
            link: S3Link::Public(format!("{}/{}/{{key}}", self.access.endpoint, self.access.bucket)),
            part_size: MIN_PART_SIZE,
            part_concurrency: DEFAULT_PART_CONCURRENCY,
        }
    }

    /// Every request seen so far, as `(method, path, query)`.
    pub async fn requests(&self) -> Vec<(String, String, String)> {
        self.inspect("requests").await
    }

    /// The multipart uploads still open, as `(key, upload id)`.
    pub async fn open_uploads(&self) -> Vec<(String, String)> {
        self.inspect("open-uploads").await
    }

    async fn inspect<T: serde::de::DeserializeOwned>(&self, what: &str) -> T {
        anonymous_client()
            .get(format!("{}/_zimbot/{what}", self.access.endpoint))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the S3 server's inspection endpoint")
            .json()
            .await
            .expect("JSON from the inspection endpoint")
    }
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client without credentials, as a receiver of a media message downloads with.
pub fn anonymous_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Downloads `url` without credentials; its status and body.
pub async fn download(url: &str) -> (u16, Vec<u8>) {
    let response = anonymous_client().get(url).send().await.expect("the link answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("the body").to_vec())
}
