//! The plugin SDK (being built).
