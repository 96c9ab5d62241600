//! Specifications of bots.yaml loading, one behaviour per test.

mod conversations;
mod defaults;
mod expansion;
mod full_example;
mod ids;
mod media_store;
mod problems;
mod schema;
mod support;
