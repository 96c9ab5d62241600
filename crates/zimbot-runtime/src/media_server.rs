//! The public listener of a local media store (`zim.media_store.kind: local`): serves the store's folder of files
//! by `GET /{token}/{file name}`, whole or by byte range, to every receiver of a media message.
//!
//! Files are served by tower-http's `ServeDir` (ranges, conditional requests, content types, no path may leave the
//! folder). Directories are never listed, so a link is only known to those who were sent it. Every answer says
//! `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`, so an uploaded HTML or SVG file can
//! never run as a page of this origin.

use axum::http::{header, HeaderValue};
use axum::Router;
use std::path::Path;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The routes serving `folder`.
pub fn router(folder: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(folder).append_index_html_on_directories(false))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox")))
}

/// Serves `folder` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    folder: &Path,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(folder)).with_graceful_shutdown(shutdown).await
}
