//! A host's table of live plugin contexts: the [`HostApi::context`](crate::HostApi) value a plugin holds is a
//! key into it, never a pointer the host dereferences.
//!
//! A plugin may keep a clone of its `BotContext` anywhere (a thread, a static) and call the host through it long
//! after its instance was rebuilt or its bot stopped. So the host never trusts the value it gets back: it looks
//! the key up here, and a key that was revoked (or never issued) finds nothing. Keys are never reused, so a key
//! is its own generation: a context from a retired instance cannot reach the entry of the instance that replaced
//! it.

use crate::HostContext;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Live contexts by key. Usable as a `static` (see [`ContextRegistry::new`]).
pub struct ContextRegistry<T> {
    next_key: AtomicUsize,
    live: RwLock<BTreeMap<usize, Arc<T>>>,
}

impl<T> ContextRegistry<T> {
    /// An empty registry; `const`, so a host keeps one in a `static` its `extern "C"` functions can reach.
    pub const fn new() -> Self {
        // Key 0 is never issued: a null context finds nothing.
        Self { next_key: AtomicUsize::new(1), live: RwLock::new(BTreeMap::new()) }
    }

    /// Registers `entry` under a fresh key and returns the context value that names it.
    pub fn register(&self, entry: Arc<T>) -> *const HostContext {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.live.write().insert(key, entry);
        std::ptr::without_provenance(key)
    }

    /// The entry `context` names, if it is still live. Any value is safe to pass: it is only compared.
    pub fn get(&self, context: *const HostContext) -> Option<Arc<T>> {
        self.live.read().get(&context.addr()).cloned()
    }

    /// Ends `context`: later lookups find nothing. Returns the entry it named, if it was live.
    pub fn revoke(&self, context: *const HostContext) -> Option<Arc<T>> {
        self.live.write().remove(&context.addr())
    }

    /// How many contexts are live.
    pub fn len(&self) -> usize {
        self.live.read().len()
    }

    /// Whether no context is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Default for ContextRegistry<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_context_finds_its_entry_until_revoked() {
        let registry = ContextRegistry::new();
        let context = registry.register(Arc::new("bot-a"));
        assert_eq!(registry.get(context).as_deref(), Some(&"bot-a"));
        assert_eq!(registry.revoke(context).as_deref(), Some(&"bot-a"));
        assert!(registry.get(context).is_none());
        assert!(registry.is_empty());
    }

    #[test]
    fn a_revoked_key_is_never_issued_again() {
        let registry = ContextRegistry::new();
        let old = registry.register(Arc::new(1));
        registry.revoke(old);
        let new = registry.register(Arc::new(2));
        assert_ne!(old, new);
        assert!(registry.get(old).is_none(), "the old instance's context must not reach the new instance");
        assert_eq!(registry.get(new).as_deref(), Some(&2));
    }

    #[test]
    fn values_that_were_never_issued_find_nothing() {
        let registry = ContextRegistry::<u8>::new();
        registry.register(Arc::new(7));
        assert!(registry.get(std::ptr::null()).is_none());
        assert!(registry.get(std::ptr::without_provenance(usize::MAX)).is_none());
    }
}
