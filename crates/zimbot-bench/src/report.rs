//! The results table: figures with their goals, printed to the terminal and written into BENCHMARKS.md.
//!
//! The generated part of BENCHMARKS.md sits between two markers; text outside them (the analysis written by
//! people) is kept when the file is regenerated.

use anyhow::Context as _;
use std::path::Path;

const BEGIN: &str = "<!-- zimbot-bench: generated, begin -->";
const END: &str = "<!-- zimbot-bench: generated, end -->";

/// What a figure should reach.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    None,
    AtLeast(f64),
    AtMost(f64),
}

/// One measured figure: the median over the runs, and every run's value.
#[derive(Debug, Clone)]
pub struct Figure {
    pub scenario: &'static str,
    pub metric: String,
    pub unit: &'static str,
    pub decimals: usize,
    pub median: f64,
    pub runs: Vec<f64>,
    pub goal: Goal,
}

impl Figure {
    /// A figure of `runs` (the median is taken here).
    pub fn new(scenario: &'static str, metric: impl Into<String>, unit: &'static str, decimals: usize) -> Self {
        Self { scenario, metric: metric.into(), unit, decimals, median: 0.0, runs: Vec::new(), goal: Goal::None }
    }

    pub fn runs(mut self, runs: Vec<f64>) -> Self {
        self.median = crate::stats::median(&runs);
        self.runs = runs;
        self
    }

    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = goal;
        self
    }

    fn number(&self, value: f64) -> String {
        format!("{value:.*}", self.decimals)
    }

    fn goal_text(&self) -> String {
        match self.goal {
            Goal::None => String::new(),
            Goal::AtLeast(goal) => format!("≥ {} {}", self.number(goal), self.unit),
            Goal::AtMost(goal) => format!("≤ {} {}", self.number(goal), self.unit),
        }
    }

    fn verdict(&self) -> &'static str {
        if self.median.is_nan() {
            return "n/a";
        }
        match self.goal {
            Goal::None => "",
            Goal::AtLeast(goal) if self.median >= goal => "met",
            Goal::AtMost(goal) if self.median <= goal => "met",
            _ => "**missed**",
        }
    }
}

/// Everything one scenario measured: figures and sentences saying what they mean.
#[derive(Debug, Default)]
pub struct Outcome {
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
}

/// The whole run: where, how and when it was taken, and every scenario's outcome.
pub struct Report {
    pub machine: String,
    pub command: String,
    pub date: String,
    pub runs: usize,
    pub outcomes: Vec<(&'static str, Outcome)>,
}

impl Report {
    /// The results as Markdown: header lines, the table, then each scenario's notes.
    pub fn markdown(&self) -> String {
        let mut text = String::new();
        text.push_str(&format!("- Machine: {}\n", self.machine));
        text.push_str(&format!("- Command: `{}`\n", self.command));
        text.push_str(&format!("- Date: {}\n", self.date));
        text.push_str(&format!(
            "- Each figure is the median of {} run(s); the runs are listed beside it.\n\n",
            self.runs
        ));
        text.push_str("| scenario | figure | median | goal | | runs |\n|---|---|---:|---|---|---|\n");
        for (_, outcome) in &self.outcomes {
            for figure in &outcome.figures {
                let runs = figure.runs.iter().map(|run| figure.number(*run)).collect::<Vec<_>>().join(", ");
                text.push_str(&format!(
                    "| {} | {} | {} {} | {} | {} | {} |\n",
                    figure.scenario,
                    figure.metric,
                    figure.number(figure.median),
                    figure.unit,
                    figure.goal_text(),
                    figure.verdict(),
                    runs
                ));
            }
        }
        for (name, outcome) in &self.outcomes {
            if outcome.notes.is_empty() {
                continue;
            }
            text.push_str(&format!("\n**{name}**\n\n"));
            for note in &outcome.notes {
                text.push_str(&format!("- {note}\n"));
            }
        }
        text
    }

    /// Writes the results into `path` between the markers, keeping what is outside them.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let generated = format!("{BEGIN}\n{}{END}\n", self.markdown());
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        let text = match (existing.find(BEGIN), existing.find(END)) {
            (Some(begin), Some(end)) if begin < end => {
                format!("{}{generated}{}", &existing[..begin], existing[end + END.len()..].trim_start_matches('\n'))
            }
            _ => format!(
                "# Benchmarks\n\nThe figures that show how fast zimbot is, from one command \
                 (`cargo run --release -p zimbot-bench`). See the crate docs of `zimbot-bench` for what each \
                 scenario does.\n\n{generated}{existing}"
            ),
        };
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }
}
