//! Loading conformance cases (`cases/<group>/<name>.json`, format in the corpus README).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Why the corpus or a baseline file could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// One recorded execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    /// The folder the case file sits in (`base`, `choice_operators`, ...).
    pub group: String,
    pub file: PathBuf,
    pub features: Vec<String>,
    pub workflow_type: String,
    pub definition: Value,
    pub input: Value,
    pub mock_config: Option<Value>,
    pub test_case: Option<String>,
    pub expect: Expect,
    pub placeholders: bool,
    pub placeholder_tokens: Vec<String>,
}

/// What AWS recorded. `output`/`cause` are `Some(Value::Null)` when the file has an explicit
/// `null`, `None` when the field is absent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Expect {
    pub status: String,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub cause: Option<Value>,
    #[serde(default)]
    pub message: Option<String>,
}

impl Case {
    /// True when the case uses JSONata or variables (`Assign`); the "jsonpath" headline figure
    /// counts the other cases.
    pub fn uses_jsonata_or_assign(&self) -> bool {
        self.features
            .iter()
            .any(|f| f == "jsonata" || f == "assign")
    }

    /// Whether the case lists `feature` (see the README's feature list).
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// Keeps an explicit JSON `null` as `Some(Value::Null)` (plain `Option<Value>` would make it
/// `None`, indistinguishable from an absent field).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The on-disk shape; `group` and `file` come from the path.
#[derive(Deserialize)]
struct RawCase {
    name: String,
    #[serde(default)]
    features: Vec<String>,
    workflow_type: String,
    definition: Value,
    #[serde(default)]
    input: Value,
    #[serde(default)]
    mock_config: Option<Value>,
    #[serde(default)]
    test_case: Option<String>,
    expect: Expect,
    #[serde(default)]
    placeholders: bool,
    #[serde(default)]
    placeholder_tokens: Vec<String>,
}

/// Loads every `cases/<group>/<name>.json` under `dir` (sorted by group then name). `dir` may
/// be the `cases` folder itself or the corpus folder that contains it. Files not ending in
/// `.json` and hidden entries are skipped. A file that cannot be read or parsed is an error
/// naming the file.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, LoadError> {
    let nested = dir.join("cases");
    let root = if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    };
    let mut cases = Vec::new();
    for group_dir in sorted_entries(&root)? {
        if !group_dir.is_dir() {
            continue;
        }
        let group = file_name(&group_dir)?;
        for file in sorted_entries(&group_dir)? {
            if file.extension().is_some_and(|e| e == "json") && file.is_file() {
                cases.push(load_case(&file, &group)?);
            }
        }
    }
    cases.sort_by(|a, b| {
        (a.group.as_str(), a.name.as_str(), &a.file).cmp(&(
            b.group.as_str(),
            b.name.as_str(),
            &b.file,
        ))
    });
    Ok(cases)
}

/// Loads one case file; `group` is recorded as given.
pub fn load_case(file: &Path, group: &str) -> Result<Case, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let raw: RawCase = serde_json::from_str(&text).map_err(|source| LoadError::Parse {
        path: file.to_path_buf(),
        source,
    })?;
    Ok(Case {
        name: raw.name,
        group: group.to_string(),
        file: file.to_path_buf(),
        features: raw.features,
        workflow_type: raw.workflow_type,
        definition: raw.definition,
        input: raw.input,
        mock_config: raw.mock_config,
        test_case: raw.test_case,
        expect: raw.expect,
        placeholders: raw.placeholders,
        placeholder_tokens: raw.placeholder_tokens,
    })
}

/// The non-hidden entries of `dir`, sorted by path.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let io_err = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let path = entry.map_err(io_err)?.path();
        if !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn file_name(path: &Path) -> Result<String, LoadError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| LoadError::Invalid {
            path: path.to_path_buf(),
            message: "folder name is not valid UTF-8".to_string(),
        })
}

#[cfg(test)]
// Tests may unwrap: a panic is how they fail.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "quickstep-conformance-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const MINIMAL: &str = r#"{"name": "N", "workflow_type": "STANDARD",
        "definition": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
        "input": {}, "expect": {"status": "SUCCEEDED", "output": null}}"#;

    #[test]
    fn explicit_null_output_is_kept() {
        let dir = temp_dir("null");
        let file = dir.join("n.json");
        std::fs::write(&file, MINIMAL).unwrap();
        let case = load_case(&file, "g").unwrap();
        assert_eq!(case.expect.output, Some(Value::Null));
        assert_eq!(case.expect.cause, None);
        assert!(!case.placeholders);
        assert!(case.placeholder_tokens.is_empty());
        assert_eq!(case.group, "g");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn loads_sorted_and_names_bad_files() {
        let dir = temp_dir("sorted");
        for (group, name) in [("b", "y"), ("a", "z"), ("b", "x")] {
            std::fs::create_dir_all(dir.join("cases").join(group)).unwrap();
            let text = MINIMAL.replace("\"N\"", &format!("\"{name}\""));
            std::fs::write(
                dir.join("cases").join(group).join(format!("{name}.json")),
                text,
            )
            .unwrap();
        }
        std::fs::write(dir.join("cases").join("README.md"), "not a group").unwrap();
        std::fs::write(dir.join("cases").join("a").join("notes.txt"), "skip").unwrap();
        // Both the corpus folder and its `cases` folder are accepted.
        for root in [dir.clone(), dir.join("cases")] {
            let cases = load_cases(&root).unwrap();
            let got: Vec<_> = cases
                .iter()
                .map(|c| format!("{}/{}", c.group, c.name))
                .collect();
            assert_eq!(got, ["a/z", "b/x", "b/y"]);
        }
        let bad = dir.join("cases").join("b").join("broken.json");
        std::fs::write(&bad, "{\"name\": ").unwrap();
        let err = load_cases(&dir).unwrap_err().to_string();
        assert!(err.contains("broken.json"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_dir_is_an_error_naming_it() {
        let err = load_cases(Path::new("/nonexistent/quickstep-cases"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/quickstep-cases"), "{err}");
    }
}
