//! The shared send client (being built).
