//! What keeps a failing plugin from hurting anyone else: an instance whose hook panicked is rebuilt from the last
//! snapshot, and [`super::MAX_PANICS`] panics within [`super::PANIC_WINDOW`] stop the bot alone.

use super::{BotRunner, Current, MAX_PANICS, PANIC_WINDOW};
use crate::metrics::BotStats;
use crate::plugin_host::PluginInstanceHandle;
use std::sync::Arc;
use tokio::time::Instant;

impl BotRunner {
    /// Rebuilds the instance from its last snapshot, or stops the bot after too many panics.
    pub(super) async fn recover_from_panic(&self, panicked: &Arc<PluginInstanceHandle>) {
        let now = Instant::now();
        let recent = {
            let mut panics = self.panics.lock();
            panics.push_back(now);
            while panics.front().is_some_and(|at| now.duration_since(*at) > PANIC_WINDOW) {
                panics.pop_front();
            }
            panics.len()
        };
        if recent >= MAX_PANICS {
            tracing::error!(
                panics = recent,
                "bot stopped: its plugin panicked {recent} times within {} s; fix the plugin and restart",
                PANIC_WINDOW.as_secs()
            );
            self.halt();
            return;
        }
        let _rebuilding = self.rebuilding.lock().await;
        // Another hook of the same instance may have rebuilt it already, or the bot may have stopped.
        if !self.is_current(panicked) {
            return;
        }
        let context = self.host.context();
        let (plugin, api, info) = (self.plugin.clone(), context.api(), self.info.clone());
        let snapshot = self.snapshot.lock().clone();
        // `create` is plugin code: it runs on the blocking pool, and under no lock the lanes need.
        let created =
            tokio::task::spawn_blocking(move || PluginInstanceHandle::create(&plugin, api, &info, Some(&snapshot)))
                .await
                .unwrap_or_else(|error| Err(format!("the rebuild task failed: {error}")));
        match created {
            Ok(instance) => {
                let replaced = {
                    let mut current = self.instance.lock();
                    if current.is_none() {
                        // The bot stopped while the instance was being built; it is not used.
                        return;
                    }
                    current.replace(Current { instance, context })
                };
                if let Some(replaced) = replaced {
                    replaced.context.retire_now();
                }
                BotStats::add(&self.stats.instance_rebuilds);
                tracing::warn!("plugin instance rebuilt from its last snapshot after a panic");
            }
            Err(message) => {
                tracing::error!("bot stopped: the plugin could not be rebuilt after a panic: {message}");
                self.halt();
            }
        }
    }

    pub(super) fn is_current(&self, instance: &Arc<PluginInstanceHandle>) -> bool {
        self.instance.lock().as_ref().is_some_and(|current| Arc::ptr_eq(&current.instance, instance))
    }

    /// Stops taking messages and retires the instance's context; running hooks finish on the instance they have
    /// (their calls through the context are refused).
    pub(super) fn halt(&self) {
        self.stopped.send_replace(true);
        self.mailbox.close();
        let retired = self.instance.lock().take();
        if let Some(retired) = retired {
            retired.context.retire_now();
        }
    }
}
