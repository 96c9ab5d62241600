//! Test support for speaking the published ZIM Server API: the contract read from `spec/zim-server-api/`, and a
//! scripted double of the service that answers exactly as those documents say.
//!
//! What it is not: a stand-in to develop against (that is `zimbot-hub`). The double is the judge of the wire: it
//! records every request with the ways it breaks the request schema, answers from a script of documented answers
//! (partial failures, throttling bursts, HTTP 5xx, slow answers, hangs, number/string variants), and checks its
//! own answers against the answer schemas.
//!
//! Main types:
//! - [`Contract`], [`ActionContract`]: the request and answer JSON Schemas of each action (from `zimbot-contract`,
//!   which the hub reads too).
//! - [`ServiceDouble`], [`Reply`], [`Capture`], [`StoredFile`]: the double, its script, and what it saw.

mod reply;
mod server;

pub use reply::Reply;
pub use server::{Capture, ServiceDouble, StoredFile};
pub use zimbot_contract::{ActionContract, Contract, ContractError};
