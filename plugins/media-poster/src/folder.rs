//! Reading the folder of posts: which files, in which order, and which comes next.

use std::path::Path;

/// The names of the regular, non-hidden files in `folder`, sorted; or a message saying why it cannot be read.
pub fn sorted_file_names(folder: &Path) -> Result<Vec<String>, String> {
    // A small directory listing; blocking for it briefly is cheaper than handing it to another thread.
    let entries = std::fs::read_dir(folder).map_err(|error| {
        format!(
            "cannot read the folder '{}' ({error}; relative paths are read from the working directory, {}): \
             nothing posted; create it or fix config.folder",
            folder.display(),
            working_directory()
        )
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// What to log when the folder has no files.
pub fn empty_message(folder: &Path) -> String {
    format!("the folder '{}' has no files to post: nothing posted; add some files to it", folder.display())
}

/// The first name after `last`, wrapping to the first; the first name when nothing was posted yet.
/// `names` must be sorted and not empty.
pub fn next_after<'a>(names: &'a [String], last: Option<&str>) -> &'a str {
    let next = last.and_then(|last| names.iter().find(|name| name.as_str() > last));
    next.or(names.first()).map(String::as_str).unwrap_or_default()
}

fn working_directory() -> String {
    std::env::current_dir().map(|dir| dir.display().to_string()).unwrap_or_else(|_| "unknown".to_owned())
}
