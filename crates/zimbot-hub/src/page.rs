//! The web chat page: `GET /` and the few files it loads (`/app.js`, `/style.css`, `/favicon.svg`).
//!
//! The files live in the crate's `static/` folder and are compiled into the binary with `include_str!`, so the
//! hub stays one file to ship and the page needs no build step. Each is served with its content type and
//! `Cache-Control: no-cache`, so a browser revalidates and never keeps a page older than the hub it talks to.
//! Every answer of the hub also carries `X-Content-Type-Options: nosniff` and a Content-Security-Policy
//! ([`security_headers`]).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The page's Content-Security-Policy: its own script and style only, no inline script, no plugins, not framed.
/// Images and players may load from any http(s) host, since bots' media may live on a CDN.
pub(crate) const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' http: https:; media-src 'self' http: https:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Added to every answer of the hub: browsers must not guess content types, and every page gets the policy
/// (answers that set their own, such as stored media, keep theirs).
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    }
    response
}

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
