//! Where a bot's `plugin:` comes from: a path, a library name found in `plugin_dirs`, or a built-in name.
//!
//! A library in `plugin_dirs` wins over a built-in of the same name, so a plugin author can rebuild an example
//! plugin and load the new library without rebuilding zimbot; the source says which was chosen.

use super::library::load_library;
use std::collections::BTreeMap;
use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
use std::fmt;
use std::path::{Path, PathBuf};
use zimbot_abi::PluginDescriptor;

/// Where a plugin was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Compiled into this binary.
    Builtin,
    /// A dynamic library at this path.
    Library(PathBuf),
    /// A library found in `plugin_dirs` under the name of a built-in, chosen instead of the built-in.
    LibraryOverBuiltin(PathBuf),
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin => f.write_str("built-in"),
            Self::Library(path) => write!(f, "{}", path.display()),
            Self::LibraryOverBuiltin(path) => {
                write!(f, "{} (a library in plugin_dirs, chosen over the built-in of the same name)", path.display())
            }
        }
    }
}

/// A loaded, checked plugin.
#[derive(Clone)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub sdk_version: String,
    pub source: PluginSource,
    pub(crate) descriptor: &'static PluginDescriptor,
}

impl PluginInfo {
    /// Whether the plugin takes cron ticks due together in one call ([`zimbot_abi::Event::CronBatch`]): built for
    /// plugin ABI 1.2 or later. Older plugins get one `cron` event per tick.
    pub fn takes_cron_batches(&self) -> bool {
        self.descriptor.header.abi_minor >= zimbot_abi::CRON_BATCH_MINOR
    }
}

impl fmt::Debug for PluginInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginInfo")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("sdk_version", &self.sdk_version)
            .field("source", &self.source)
            .finish()
    }
}

/// A plugin that could not be found or loaded; the message names the file, what was found and what is needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", path.as_ref().map(|path| format!("{}: ", path.display())).unwrap_or_default())]
pub struct LoadError {
    pub path: Option<PathBuf>,
    pub message: String,
}

impl LoadError {
    pub(super) fn new(path: &Path, message: impl Into<String>) -> Self {
        Self { path: Some(path.to_owned()), message: message.into() }
    }

    fn unresolved(message: String) -> Self {
        Self { path: None, message }
    }
}

/// What a `plugin:` value names, before loading.
enum Resolved {
    Builtin(&'static PluginDescriptor),
    Library(PathBuf),
    LibraryOverBuiltin(PathBuf),
}

/// The built-in plugins of this binary, and the rules for finding library plugins.
#[derive(Default, Clone)]
pub struct PluginCatalog {
    builtins: BTreeMap<String, &'static PluginDescriptor>,
}

impl PluginCatalog {
    /// A catalog with no built-ins.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a built-in under `name` (see `zimbot_sdk::builtin`).
    pub fn register_builtin(&mut self, name: impl Into<String>, descriptor: &'static PluginDescriptor) {
        self.builtins.insert(name.into(), descriptor);
    }

    /// The built-in names.
    pub fn builtin_names(&self) -> impl Iterator<Item = &str> {
        self.builtins.keys().map(String::as_str)
    }

    /// Finds and loads `plugin`, checking its header; nothing but the library's entry point runs.
    pub fn load(&self, plugin: &str, plugin_dirs: &[PathBuf]) -> Result<PluginInfo, LoadError> {
        let (descriptor, source) = match self.resolve(plugin, plugin_dirs)? {
            Resolved::Builtin(descriptor) => (descriptor, PluginSource::Builtin),
            Resolved::Library(path) => (load_library(&path)?, PluginSource::Library(path)),
            Resolved::LibraryOverBuiltin(path) => (load_library(&path)?, PluginSource::LibraryOverBuiltin(path)),
        };
        // SAFETY: the descriptor's strings are static data of a library that is never unloaded.
        let (name, version, sdk_version) = unsafe {
            (
                descriptor.name.to_string_lossy(),
                descriptor.version.to_string_lossy(),
                descriptor.sdk_version.to_string_lossy(),
            )
        };
        Ok(PluginInfo { name, version, sdk_version, source, descriptor })
    }

    fn resolve(&self, plugin: &str, plugin_dirs: &[PathBuf]) -> Result<Resolved, LoadError> {
        if looks_like_path(plugin) {
            let path = PathBuf::from(plugin);
            return if path.is_file() {
                Ok(Resolved::Library(path))
            } else {
                Err(LoadError::new(&path, "no such file"))
            };
        }
        let candidates = library_file_names(plugin);
        for dir in plugin_dirs {
            for candidate in &candidates {
                let path = dir.join(candidate);
                if path.is_file() {
                    return Ok(if self.builtins.contains_key(plugin) {
                        Resolved::LibraryOverBuiltin(path)
                    } else {
                        Resolved::Library(path)
                    });
                }
            }
        }
        if let Some(descriptor) = self.builtins.get(plugin) {
            return Ok(Resolved::Builtin(descriptor));
        }
        let builtins: Vec<&str> = self.builtin_names().collect();
        let dirs: Vec<String> = plugin_dirs.iter().map(|dir| dir.display().to_string()).collect();
        Err(LoadError::unresolved(format!(
            "plugin '{plugin}' resolves to nothing: it is not a built-in ({}) and no {} was found in plugin_dirs [{}]{}",
            if builtins.is_empty() { "there are none".to_owned() } else { format!("built-ins: {}", builtins.join(", ")) },
            candidates.first().map(String::as_str).unwrap_or_default(),
            dirs.join(", "),
            if dirs.is_empty() { "" } else { "; build the plugin (cargo build) or fix plugin_dirs" },
        )))
    }
}

impl crate::config::PluginResolver for PluginCatalog {
    fn check(&self, plugin: &str, plugin_dirs: &[PathBuf]) -> Result<(), String> {
        self.resolve(plugin, plugin_dirs).map(|_| ()).map_err(|error| error.to_string())
    }
}

fn looks_like_path(plugin: &str) -> bool {
    plugin.contains('/') || plugin.contains('\\') || plugin.ends_with(DLL_SUFFIX)
}

/// `libNAME.so` (or the platform's names); cargo turns `-` into `_` in library file names, so both are tried.
fn library_file_names(plugin: &str) -> Vec<String> {
    let mut names = vec![format!("{DLL_PREFIX}{plugin}{DLL_SUFFIX}")];
    let underscored = plugin.replace('-', "_");
    if underscored != plugin {
        names.push(format!("{DLL_PREFIX}{underscored}{DLL_SUFFIX}"));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_plugin_names_the_builtins_and_the_directories_searched() {
        let error = PluginCatalog::new().load("nope", &[PathBuf::from("/tmp/plugins")]).unwrap_err();
        assert!(error.message.contains("plugin 'nope' resolves to nothing"), "{error}");
        assert!(error.message.contains("/tmp/plugins"), "{error}");
        assert!(error.message.contains(&format!("{DLL_PREFIX}nope{DLL_SUFFIX}")), "{error}");
    }

    #[test]
    fn a_missing_path_is_named() {
        let error = PluginCatalog::new().load("/no/such/libx.so", &[]).unwrap_err();
        assert_eq!(error.path.as_deref(), Some(Path::new("/no/such/libx.so")));
        assert!(error.to_string().contains("no such file"));
    }

    #[test]
    fn a_file_that_is_not_a_library_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{DLL_PREFIX}fake{DLL_SUFFIX}"));
        std::fs::write(&path, b"this is text, not a shared object").unwrap();
        let error = PluginCatalog::new().load("fake", &[dir.path().to_owned()]).unwrap_err();
        assert!(error.message.contains("not a loadable library"), "{error}");
        assert_eq!(error.path.as_deref(), Some(path.as_path()));
    }

    struct Quiet;

    #[zimbot_sdk::async_trait]
    impl zimbot_sdk::Plugin for Quiet {}

    impl zimbot_sdk::PluginFactory for Quiet {
        const NAME: &'static str = "quiet";
        const VERSION: &'static str = "1.0.0";
        fn create(_init: zimbot_sdk::PluginInit) -> Result<Self, zimbot_sdk::PluginError> {
            Ok(Quiet)
        }
    }

    fn with_quiet() -> PluginCatalog {
        let mut catalog = PluginCatalog::new();
        catalog.register_builtin("quiet", zimbot_sdk::builtin::<Quiet>());
        catalog
    }

    #[test]
    fn a_builtin_is_chosen_when_no_library_of_its_name_is_in_plugin_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let plugin = with_quiet().load("quiet", &[dir.path().to_owned()]).unwrap();
        assert_eq!((plugin.name.as_str(), &plugin.source), ("quiet", &PluginSource::Builtin));
    }

    #[test]
    fn a_library_in_plugin_dirs_is_chosen_over_the_builtin_of_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{DLL_PREFIX}quiet{DLL_SUFFIX}"));
        std::fs::write(&path, b"not a library: loading it fails, which shows it was the one chosen").unwrap();
        let error = with_quiet().load("quiet", &[dir.path().to_owned()]).unwrap_err();
        assert_eq!(error.path.as_deref(), Some(path.as_path()), "{error}");
    }

    #[test]
    fn a_library_chosen_over_a_builtin_says_so() {
        let source = PluginSource::LibraryOverBuiltin(PathBuf::from("/p/libquiet.so"));
        assert_eq!(
            source.to_string(),
            "/p/libquiet.so (a library in plugin_dirs, chosen over the built-in of the same name)"
        );
    }

    #[test]
    fn hyphenated_names_find_underscored_files() {
        assert_eq!(library_file_names("media-poster")[1], format!("{DLL_PREFIX}media_poster{DLL_SUFFIX}"));
    }
}
