//! The checks a send passes before it is accepted. A send that fails one is refused at once with a
//! [`SendRejected`] saying what was wrong and where, and produces no event.

use crate::media_probe::probe;
use crate::store::UploadRequest;
use std::io::ErrorKind;
use zimbot_model::{MediaLimits, OutgoingMessage, RejectReason, SendRejected, SendRequest, UserId};

/// The longest media URL the service accepts, in bytes.
pub const MAX_URL_BYTES: usize = 500;
/// The longest media file name the service accepts, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 150;

/// A request that passed the checks, with what was learned on the way.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The request, its media's `file_size` filled in from the file.
    pub request: SendRequest,
    /// The file to upload first, for media with a local file and no download URL (without its uid yet).
    pub upload: Option<UploadRequest>,
    pub file_name: String,
    pub file_size: u64,
}

/// Says where a missing file was looked for: a relative path is read from the process's working directory (not
/// bots.yaml's folder), so the message names that directory and the absolute path it made.
fn not_found_message(path: &std::path::Path) -> String {
    if path.is_absolute() {
        return format!("the file {} does not exist", path.display());
    }
    match std::env::current_dir() {
        Ok(cwd) => format!(
            "the file {} does not exist (a relative path is read from the working directory {}, so it was looked \
             for at {})",
            path.display(),
            cwd.display(),
            cwd.join(path).display()
        ),
        Err(error) => format!("the file {} does not exist (the working directory is unknown: {error})", path.display()),
    }
}

fn reject(reason: RejectReason, message: String) -> SendRejected {
    SendRejected::new(reason, message)
}

/// Checks `request` from `sender`: ids, message, and for local files that the file exists, is a readable regular
/// file and fits `limits`; an image's pixel size and an audio or video file's duration are read from the file.
pub(crate) fn check(limits: &MediaLimits, sender: &UserId, mut request: SendRequest) -> Result<Checked, SendRejected> {
    sender.validate().map_err(|error| reject(RejectReason::InvalidId, format!("sender: {error}")))?;
    request
        .to_conversation_id
        .validate()
        .map_err(|error| reject(RejectReason::InvalidId, format!("destination: {error}")))?;
    let media = match &mut request.message {
        OutgoingMessage::Text { text } => {
            if text.is_empty() {
                return Err(reject(RejectReason::InvalidMessage, "the text message is empty".into()));
            }
            return Ok(Checked { request, upload: None, file_name: String::new(), file_size: 0 });
        }
        OutgoingMessage::Media(media) => media,
    };
    let kind = media.kind;
    let limit = limits.for_kind(kind);
    let too_large = |what: String, size: u64| {
        reject(
            RejectReason::TooLarge,
            format!("{what} is {size} bytes; a {kind} may be at most {limit} bytes (client.media_limits.{kind})"),
        )
    };
    let file_name = media.display_file_name();
    if file_name.len() > MAX_FILE_NAME_BYTES {
        return Err(reject(
            RejectReason::InvalidMessage,
            format!(
                "the file name '{file_name}' is {} bytes; at most {MAX_FILE_NAME_BYTES} are allowed",
                file_name.len()
            ),
        ));
    }
    if let Some(url) = media.file_download_url.as_deref() {
        // Media stored already: nothing to upload, whether or not a local path is given too.
        if url.is_empty() || url.len() > MAX_URL_BYTES {
            return Err(reject(
                RejectReason::InvalidMessage,
                format!("the download URL must be 1 to {MAX_URL_BYTES} bytes long; it is {} bytes", url.len()),
            ));
        }
        let file_size = media.file_size.unwrap_or(0);
        if file_size > limit {
            return Err(too_large(format!("the media at {url}"), file_size));
        }
        return Ok(Checked { request, upload: None, file_name, file_size });
    }
    let Some(path) = media.file_local_path.clone() else {
        return Err(reject(
            RejectReason::InvalidMessage,
            "a media message needs a file_local_path to upload or a file_download_url; it has neither".into(),
        ));
    };
    let shown = path.display();
    let metadata = std::fs::metadata(&path).map_err(|error| match error.kind() {
        ErrorKind::NotFound => reject(RejectReason::FileNotFound, not_found_message(&path)),
        _ => reject(RejectReason::FileUnreadable, format!("the file {shown} cannot be examined: {error}")),
    })?;
    if !metadata.is_file() {
        return Err(reject(RejectReason::FileUnreadable, format!("{shown} is not a regular file")));
    }
    let file_size = metadata.len();
    if file_size > limit {
        return Err(too_large(format!("the file {shown}"), file_size));
    }
    std::fs::File::open(&path)
        .map_err(|error| reject(RejectReason::FileUnreadable, format!("the file {shown} cannot be read: {error}")))?;
    let probed = probe(kind, &path).map_err(|message| reject(RejectReason::InvalidMessage, message))?;
    // The file's own size and duration win over what the plugin said: they are what receivers will see.
    media.size = probed.size.or(media.size);
    media.duration_secs = probed.duration_secs.or(media.duration_secs);
    media.file_size = Some(file_size);
    let upload = UploadRequest { uid: String::new(), file_name: file_name.clone(), path, size: file_size };
    Ok(Checked { request, upload: Some(upload), file_name, file_size })
}

#[cfg(test)]
mod not_found_tests {
    use super::not_found_message;
    use std::path::Path;

    #[test]
    fn a_missing_relative_file_names_the_working_directory_and_the_absolute_path() {
        let cwd = std::env::current_dir().unwrap();
        let message = not_found_message(Path::new("assets/missing.png"));
        assert!(message.contains(&format!("working directory {}", cwd.display())), "{message}");
        assert!(message.contains(&cwd.join("assets/missing.png").display().to_string()), "{message}");
    }
}
