//! `zimbot schema`: the JSON Schema of bots.yaml.

use std::process::ExitCode;

pub fn schema() -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&zimbot_runtime::config::json_schema())?);
    Ok(ExitCode::SUCCESS)
}
