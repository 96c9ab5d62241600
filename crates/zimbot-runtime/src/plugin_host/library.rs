//! Loading a plugin library with `libloading`, and checking it before anything in it runs but its entry point.
//!
//! Libraries are never unloaded: `dlclose` is unsound with Rust thread-locals and with tasks that may still hold
//! the library's code. A library loaded twice (two bots, one file) is loaded once.

use super::catalog::LoadError;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zimbot_abi::{PluginDescriptor, PluginEntry, ENTRY_SYMBOL, ENTRY_SYMBOL_NAME};

/// Descriptors of the libraries loaded so far, by canonical path.
fn loaded() -> &'static Mutex<HashMap<PathBuf, &'static PluginDescriptor>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, &'static PluginDescriptor>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads the library at `path`, finds its entry point and checks its header.
pub(super) fn load_library(path: &Path) -> Result<&'static PluginDescriptor, LoadError> {
    let canonical = path.canonicalize().map_err(|error| LoadError::new(path, format!("cannot open it: {error}")))?;
    let mut loaded = loaded().lock();
    if let Some(descriptor) = loaded.get(&canonical) {
        return Ok(descriptor);
    }
    // SAFETY: loading a library runs its initialisers; that is the point of a plugin file the user named.
    let library = unsafe { libloading::Library::new(&canonical) }
        .map_err(|error| LoadError::new(path, format!("it is not a loadable library for this platform ({error})")))?;
    // SAFETY: the symbol's type is the one every zimbot-sdk version exports under this name.
    let entry = match unsafe { library.get::<PluginEntry>(ENTRY_SYMBOL) } {
        Ok(entry) => *entry,
        Err(_) => return Err(LoadError::new(path, missing_entry_message(&library))),
    };
    // SAFETY: the entry point takes nothing and returns a pointer to static data.
    let descriptor = unsafe { entry() };
    if descriptor.is_null() {
        return Err(LoadError::new(path, format!("{ENTRY_SYMBOL_NAME} returned no descriptor")));
    }
    // SAFETY: the header is plain data at the start of every descriptor version; read it before anything else.
    let header = unsafe { std::ptr::read_unaligned(descriptor.cast::<zimbot_abi::AbiHeader>()) };
    header.check_compatible().map_err(|mismatch| LoadError::new(path, mismatch.to_string()))?;
    // The library stays loaded for the life of the process.
    std::mem::forget(library);
    // SAFETY: the header says the layout is ours; the descriptor is static data of a library never unloaded.
    let descriptor: &'static PluginDescriptor = unsafe { &*descriptor };
    loaded.insert(canonical, descriptor);
    Ok(descriptor)
}

/// Says which entry point the library has instead, when it has another version's.
fn missing_entry_message(library: &libloading::Library) -> String {
    for version in (0..10).filter(|version| *version != zimbot_abi::ABI_MAJOR) {
        let name = format!("zimbot_plugin_entry_v{version}\0");
        // SAFETY: only checks that the symbol exists; nothing is called.
        if unsafe { library.get::<*const ()>(name.as_bytes()) }.is_ok() {
            let direction = if version < zimbot_abi::ABI_MAJOR {
                format!("rebuild it against zimbot-sdk {}", zimbot_abi::SDK_SERIES)
            } else {
                "upgrade zimbot to load it".to_owned()
            };
            return format!(
                "it exports zimbot_plugin_entry_v{version} but this runtime needs {ENTRY_SYMBOL_NAME}; {direction}"
            );
        }
    }
    format!("it does not export {ENTRY_SYMBOL_NAME}; is it a zimbot plugin built with export_plugin!?")
}
