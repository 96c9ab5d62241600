//! Fuzz target: the bots.yaml loader, on any text; every problem it reports is placed inside the file.

use proptest::prelude::*;
use std::path::Path;
use zimbot_fuzz::{config, inputs};
use zimbot_runtime::config::{parse, AcceptAnyPlugin};

fn environment(name: &str) -> Option<String> {
    (name == "ZIM_APP_ID").then(|| "1e3".to_owned())
}

proptest! {
    #![proptest_config(config("config"))]

    #[test]
    fn any_text_loads_or_is_refused_with_placed_problems(bytes in inputs("config")) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(errors) = parse(&text, Path::new("/fuzz/bots.yaml"), &environment, &AcceptAnyPlugin) {
            // YAML breaks lines at \n, \r\n and a lone \r.
            let lines = text.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count() + 1;
            for error in errors.iter() {
                prop_assert!(!error.message.is_empty());
                if let Some(location) = error.location {
                    prop_assert!(location.line >= 1 && location.line <= lines, "{} is past the end", location.line);
                }
            }
        }
    }
}
