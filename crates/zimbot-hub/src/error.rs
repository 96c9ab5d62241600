//! What can stop the hub from starting.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why [`crate::Hub::start`] failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(
        "cannot listen on {addr}: {source} (is another hub or program using that port? pick another with --listen)"
    )]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot create the data directory {path}: {source} (check the --data-dir path and its permissions)")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the history database {path}: {source} (delete it to start with an empty history)")]
    Store { path: PathBuf, source: rusqlite::Error },
    #[error("cannot build the HTTP client that fires callbacks: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error("the hub's compiled-in Server API contract is unreadable: {0}")]
    Contract(String),
    #[error("callback URL '{url}' is not an http(s) URL: set it like http://127.0.0.1:8080/zim/callback")]
    CallbackUrl { url: String },
}
