//! Errors of setting the client up. Failures of a send are not here: they are [`zimbot_model::SendRejected`]
//! (refused at once) or a [`zimbot_model::SendFailure`] event (failed after acceptance).

/// Why a transport or media store could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid {what} '{value}': {reason}")]
    InvalidSetting { what: &'static str, value: String, reason: String },
    #[error("could not build the HTTP client for {purpose}: {source}")]
    HttpClient {
        purpose: &'static str,
        #[source]
        source: reqwest::Error,
    },
}
