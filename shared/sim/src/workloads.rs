//! Workloads read from a directory of Amazon States Language files (the benchmark workloads
//! beside the checkout, or a user's own): `NAME.asl.json` with its input in `NAME.input.json`
//! (`{}` if there is none). Schedules of [`crate::Weather::Bench`] run them under every fault
//! instead of generated machines.

use std::path::Path;

use quickstep_engine::definition::StateMachine;
use serde_json::{json, Value};

/// One workflow and the input it runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub name: String,
    pub definition: Value,
    pub input: Value,
}

/// Reads the workloads of `dir`, in name order. Returns them and, for each file left out, why:
/// an invalid definition, or a Task whose resource the simulation cannot answer (it answers
/// Lambda functions).
pub fn load(dir: &Path) -> Result<(Vec<Workload>, Vec<String>), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".asl.json")?.to_owned())
        })
        .collect();
    names.sort();
    let mut workloads = Vec::new();
    let mut skipped = Vec::new();
    for name in names {
        let read = |file: String| -> Result<Option<Value>, String> {
            let path = dir.join(&file);
            match std::fs::read(&path) {
                Ok(bytes) => serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| format!("{}: {e}", path.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", path.display())),
            }
        };
        let Some(definition) = read(format!("{name}.asl.json"))? else {
            continue;
        };
        let input = read(format!("{name}.input.json"))?.unwrap_or_else(|| json!({}));
        if let Err(problems) = StateMachine::from_json(&definition) {
            skipped.push(format!("{name}: an invalid definition: {problems:?}"));
            continue;
        }
        if let Some(resource) = foreign_resource(&definition) {
            skipped.push(format!(
                "{name}: the Task resource {resource} is not a Lambda function"
            ));
            continue;
        }
        workloads.push(Workload {
            name,
            definition,
            input,
        });
    }
    Ok((workloads, skipped))
}

/// The first Task resource in `value` that the simulated Lambda cannot answer.
fn foreign_resource(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(resource)) = map.get("Resource") {
                let lambda = resource.starts_with("arn:aws:lambda:")
                    || resource.starts_with("arn:aws:states:::lambda:invoke");
                if !lambda {
                    return Some(resource.clone());
                }
            }
            map.values().find_map(foreign_resource)
        }
        Value::Array(items) => items.iter().find_map(foreign_resource),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_resources_are_found_anywhere() {
        let inner = json!({"States": {"M": {"ItemProcessor": {"States": {
            "T": {"Type": "Task", "Resource": "module:increment"}
        }}}}});
        assert_eq!(
            foreign_resource(&inner).as_deref(),
            Some("module:increment")
        );
        let lambda = json!({"States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke"}}});
        assert_eq!(foreign_resource(&lambda), None);
    }
}
