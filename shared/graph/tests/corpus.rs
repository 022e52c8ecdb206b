//! Every definition we have is drawn, in every format, without error: the examples, the
//! benchmark workloads beside the checkout, and each conformance case, with the history AWS
//! recorded for it (so the colouring reads real Step Functions histories).
// A test fails by panicking: unwrap and expect are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use quickstep_graph::layout::layout;
use quickstep_graph::{render, Execution, Flow, Format, GraphError};
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn beside(path: &str) -> PathBuf {
    let dir = repo().join("..").join(path);
    assert!(
        dir.is_dir(),
        "the provided material is expected beside the checkout at {}",
        dir.display()
    );
    dir
}

fn json_files(dir: &Path, suffix: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, suffix, found);
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    found.sort();
}

/// Draws `definition` every way; checks the layout and that every state is in the picture.
fn draw(name: &str, definition: &Value, execution: Option<&Execution>) {
    let flow = Flow::read(definition, "").unwrap_or_else(|e| panic!("{name}: {e}"));
    let problems = layout(&flow).problems();
    assert!(problems.is_empty(), "{name}: {problems:?}");
    let svg = render(definition, name, execution, Format::Svg).unwrap();
    let drawn = svg.matches("<g class=\"state ").count();
    assert_eq!(
        drawn,
        flow.all_states().len(),
        "{name}: every state drawn once"
    );
    for format in [Format::Html, Format::Mermaid, Format::Dot] {
        let text = render(definition, name, execution, format).unwrap();
        assert!(!text.is_empty(), "{name}: {format:?}");
    }
}

#[test]
fn the_examples_and_the_workloads_are_drawn() {
    let mut files = Vec::new();
    json_files(&repo().join("shared/cli/examples"), ".asl.json", &mut files);
    json_files(&beside("shared/bench/workloads"), ".asl.json", &mut files);
    assert!(files.len() >= 9, "{files:?}");
    for file in files {
        let definition: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        draw(&file.display().to_string(), &definition, None);
    }
}

#[test]
fn every_conformance_definition_is_drawn_with_the_history_aws_recorded() {
    let mut files = Vec::new();
    json_files(&beside("shared/conformance/cases"), ".json", &mut files);
    assert!(files.len() > 700, "{} cases", files.len());
    let (mut drawn, mut with_history, mut refused) = (0, 0, 0);
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap_or("?");
        let definition = &case["definition"];
        let execution = case["expect"]
            .get("events")
            .filter(|e| e.as_array().is_some_and(|a| !a.is_empty()))
            .map(|_| {
                Execution::from_history(&case["expect"]).unwrap_or_else(|e| panic!("{name}: {e}"))
            });
        if definition.get("StartAt").is_none() || !definition["States"].is_object() {
            // Cases of definitions AWS refused: the picture says what is missing, and where.
            let error = render(definition, name, None, Format::Svg).unwrap_err();
            assert!(
                matches!(error, GraphError::Definition { .. }),
                "{name}: {error}"
            );
            refused += 1;
            continue;
        }
        if let Some(execution) = &execution {
            with_history += 1;
            // AWS's status and the reading of its events agree.
            if let Some(status) = case["expect"]["status"].as_str() {
                assert_eq!(execution.status, status, "{name}");
            }
        }
        draw(name, definition, execution.as_ref());
        drawn += 1;
    }
    assert!(
        drawn > 700 && with_history > 400,
        "drawn {drawn}, with a history {with_history}, refused {refused}"
    );
}
