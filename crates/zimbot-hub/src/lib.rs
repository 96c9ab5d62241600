//! The embedded hub (being built).
