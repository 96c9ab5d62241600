//! The web chat page: `GET /` and the few files it loads (`/app.js`, `/style.css`, `/favicon.svg`).
//!
//! The files live in the crate's `static/` folder and are compiled into the binary with `include_str!`, so the
//! hub stays one file to ship and the page needs no build step. Each is served with its content type and
//! `Cache-Control: no-cache`, so a browser revalidates and never keeps a page older than the hub it talks to.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One file of the page, as it is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asset {
    content_type: &'static str,
    body: &'static str,
}

impl IntoResponse for Asset {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, self.content_type), (header::CACHE_CONTROL, "no-cache")], self.body).into_response()
    }
}

/// The page itself.
const INDEX: Asset = Asset { content_type: "text/html; charset=utf-8", body: include_str!("../static/index.html") };
/// The page's behaviour: picking a user and a conversation, the live event stream, sending and uploading.
const SCRIPT: Asset = Asset { content_type: "text/javascript; charset=utf-8", body: include_str!("../static/app.js") };
/// The page's look.
const STYLE: Asset = Asset { content_type: "text/css; charset=utf-8", body: include_str!("../static/style.css") };
/// The tab icon.
const ICON: Asset = Asset { content_type: "image/svg+xml", body: include_str!("../static/favicon.svg") };

pub(crate) async fn index() -> Asset {
    INDEX
}

pub(crate) async fn script() -> Asset {
    SCRIPT
}

pub(crate) async fn style() -> Asset {
    STYLE
}

pub(crate) async fn icon() -> Asset {
    ICON
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_files_the_hub_serves() {
        for path in ["/app.js", "/style.css", "/favicon.svg"] {
            assert!(INDEX.body.contains(&format!("\"{path}\"")), "index.html should load {path}");
        }
        assert!(!INDEX.body.contains("://"), "the page must not load anything from another host");
    }
}
