//! Scoring a run over the corpus and the ratchet against a baseline kept in the repo.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::case::{Case, LoadError};
use super::compare::Mismatch;

/// Passed and total cases of some selection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub total: usize,
}

impl Tally {
    fn add(&mut self, passed: bool) {
        self.total += 1;
        if passed {
            self.passed += 1;
        }
    }

    fn to_json(self) -> Value {
        json!({"passed": self.passed, "total": self.total})
    }

    fn percent(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            // Counts are far below 2^52, so the conversions are exact.
            self.passed as f64 * 100.0 / self.total as f64
        }
    }
}

/// A case that did not pass, with the first difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub group: String,
    pub name: String,
    pub message: String,
}

/// Per-group pass/total and the two headline figures: "jsonpath" (cases NOT using JSONata or
/// Assign) and "all".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub groups: BTreeMap<String, Tally>,
    pub jsonpath: Tally,
    pub all: Tally,
    /// In the order of the results given to [`summarize`].
    pub failures: Vec<Failure>,
}

/// Tallies the results of a run.
pub fn summarize(results: &[(&Case, Result<(), Mismatch>)]) -> Summary {
    let mut summary = Summary::default();
    for (case, result) in results {
        let passed = result.is_ok();
        summary
            .groups
            .entry(case.group.clone())
            .or_default()
            .add(passed);
        summary.all.add(passed);
        if !case.uses_jsonata_or_assign() {
            summary.jsonpath.add(passed);
        }
        if let Err(m) = result {
            summary.failures.push(Failure {
                group: case.group.clone(),
                name: case.name.clone(),
                message: m.message.clone(),
            });
        }
    }
    summary
}

impl Summary {
    /// A group table, the headline figures and, with `show_failures`, one line per failed case.
    pub fn print(&self, out: &mut impl std::io::Write, show_failures: bool) -> std::io::Result<()> {
        if show_failures && !self.failures.is_empty() {
            for f in &self.failures {
                writeln!(out, "FAIL {}/{}: {}", f.group, f.name, f.message)?;
            }
            writeln!(out)?;
        }
        let width = self
            .groups
            .keys()
            .map(|g| g.chars().count())
            .chain([8])
            .max()
            .unwrap_or(8);
        writeln!(out, "{:<width$}  {:>6}  {:>6}", "group", "passed", "total")?;
        for (group, t) in &self.groups {
            writeln!(out, "{group:<width$}  {:>6}  {:>6}", t.passed, t.total)?;
        }
        writeln!(out)?;
        for (label, t) in [("jsonpath", self.jsonpath), ("all", self.all)] {
            writeln!(
                out,
                "{label:<width$}  {:>6}  {:>6}  ({:.1}%)",
                t.passed,
                t.total,
                t.percent()
            )?;
        }
        Ok(())
    }

    /// `{"jsonpath": {"passed", "total"}, "all": {...}, "groups": {name: {...}}, "failures":
    /// [{"group", "name", "message"}]}`.
    pub fn to_json(&self) -> Value {
        let groups: Map<String, Value> = self
            .groups
            .iter()
            .map(|(g, t)| (g.clone(), t.to_json()))
            .collect();
        let failures: Vec<Value> = self
            .failures
            .iter()
            .map(|f| json!({"group": f.group, "name": f.name, "message": f.message}))
            .collect();
        json!({
            "jsonpath": self.jsonpath.to_json(),
            "all": self.all.to_json(),
            "groups": groups,
            "failures": failures,
        })
    }

    /// The baseline this run would set: `{"jsonpath": passed, "all": passed}`.
    pub fn baseline_json(&self) -> Value {
        json!({"jsonpath": self.jsonpath.passed, "all": self.all.passed})
    }
}

/// The ratchet: minimum passing counts kept in the repo, e.g. `{"jsonpath": 640, "all": 700}`.
/// Either figure may be left out; other keys are rejected (a typo must not disable the ratchet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Baseline {
    pub jsonpath: Option<usize>,
    pub all: Option<usize>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|source| LoadError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&value).map_err(|message| LoadError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn from_json(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or_else(|| {
            format!(
                "a baseline is a JSON object like {{\"jsonpath\": 640, \"all\": 700}}, got {value}"
            )
        })?;
        let mut baseline = Baseline::default();
        for (key, v) in obj {
            let n = v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    format!("baseline \"{key}\" must be a non-negative integer, got {v}")
                })?;
            match key.as_str() {
                "jsonpath" => baseline.jsonpath = Some(n),
                "all" => baseline.all = Some(n),
                other => {
                    return Err(format!(
                        "unknown baseline figure \"{other}\" (expected \"jsonpath\" and/or \"all\")"
                    ))
                }
            }
        }
        Ok(baseline)
    }

    fn figures(&self, summary: &Summary) -> [(&'static str, Option<usize>, usize); 2] {
        [
            ("jsonpath", self.jsonpath, summary.jsonpath.passed),
            ("all", self.all, summary.all.passed),
        ]
    }

    /// Err naming each figure that fell below its baseline.
    pub fn check(&self, summary: &Summary) -> Result<(), String> {
        let fell: Vec<String> = self
            .figures(summary)
            .into_iter()
            .filter_map(|(label, base, now)| {
                base.filter(|&b| now < b).map(|b| {
                    format!(
                        "{label}: {now} cases pass, below the baseline of {b} ({} fewer)",
                        b - now
                    )
                })
            })
            .collect();
        if fell.is_empty() {
            Ok(())
        } else {
            Err(format!("conformance regressed: {}", fell.join("; ")))
        }
    }

    /// One note per figure that rose above its baseline (time to raise the baseline).
    pub fn improvements(&self, summary: &Summary) -> Vec<String> {
        self.figures(summary)
            .into_iter()
            .filter_map(|(label, base, now)| {
                base.filter(|&b| now > b).map(|b| {
                    format!("{label}: {now} cases pass, above the baseline of {b}; raise it")
                })
            })
            .collect()
    }
}

#[cfg(test)]
// Tests may unwrap: a panic is how they fail.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::conformance::case::Expect;

    fn case(group: &str, name: &str, features: &[&str]) -> Case {
        Case {
            name: name.into(),
            group: group.into(),
            file: format!("{group}/{name}.json").into(),
            features: features.iter().map(|f| f.to_string()).collect(),
            workflow_type: "STANDARD".into(),
            definition: json!({}),
            input: json!({}),
            mock_config: None,
            test_case: None,
            expect: Expect {
                status: "SUCCEEDED".into(),
                output: Some(json!({})),
                error: None,
                cause: None,
                message: None,
            },
            placeholders: false,
            placeholder_tokens: vec![],
        }
    }

    fn fail(m: &str) -> Result<(), Mismatch> {
        Err(Mismatch { message: m.into() })
    }

    fn sample() -> Summary {
        let a = case("base", "a", &["jsonpath", "pass"]);
        let b = case("base", "b", &["jsonata"]);
        let c = case("assign", "c", &["jsonpath", "assign"]);
        let d = case("assign", "d", &["jsonpath"]);
        summarize(&[
            (&a, Ok(())),
            (&b, Ok(())),
            (&c, fail("output: expected 1, got 2")),
            (&d, fail("status: expected SUCCEEDED, got FAILED")),
        ])
    }

    #[test]
    fn summarize_counts_groups_and_headlines() {
        let s = sample();
        assert_eq!(
            s.all,
            Tally {
                passed: 2,
                total: 4
            }
        );
        assert_eq!(
            s.jsonpath,
            Tally {
                passed: 1,
                total: 2
            }
        );
        assert_eq!(
            s.groups["base"],
            Tally {
                passed: 2,
                total: 2
            }
        );
        assert_eq!(
            s.groups["assign"],
            Tally {
                passed: 0,
                total: 2
            }
        );
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].name, "c");
        let j = s.to_json();
        assert_eq!(j["jsonpath"], json!({"passed": 1, "total": 2}));
        assert_eq!(j["all"], json!({"passed": 2, "total": 4}));
        assert_eq!(j["groups"]["assign"], json!({"passed": 0, "total": 2}));
        assert_eq!(
            j["failures"][1]["message"],
            "status: expected SUCCEEDED, got FAILED"
        );
        assert_eq!(s.baseline_json(), json!({"jsonpath": 1, "all": 2}));
    }

    #[test]
    fn print_shows_table_and_optionally_failures() {
        let s = sample();
        let mut out = Vec::new();
        s.print(&mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("base"), "{text}");
        assert!(
            text.contains("jsonpath") && text.contains("(50.0%)"),
            "{text}"
        );
        assert!(!text.contains("FAIL"), "{text}");
        let mut out = Vec::new();
        s.print(&mut out, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("FAIL assign/c: output: expected 1, got 2"),
            "{text}"
        );
    }

    #[test]
    fn baseline_ratchet() {
        let s = sample();
        let b = Baseline::from_json(&json!({"jsonpath": 1, "all": 2})).unwrap();
        b.check(&s).unwrap();
        assert!(b.improvements(&s).is_empty());
        let b = Baseline::from_json(&json!({"jsonpath": 2, "all": 3})).unwrap();
        let err = b.check(&s).unwrap_err();
        assert!(
            err.contains("jsonpath: 1 cases pass, below the baseline of 2"),
            "{err}"
        );
        assert!(
            err.contains("all: 2 cases pass, below the baseline of 3"),
            "{err}"
        );
        let b = Baseline::from_json(&json!({"all": 3})).unwrap();
        let err = b.check(&s).unwrap_err();
        assert!(!err.contains("jsonpath"), "{err}");
        let b = Baseline::from_json(&json!({"jsonpath": 0, "all": 1})).unwrap();
        b.check(&s).unwrap();
        assert_eq!(b.improvements(&s).len(), 2);
        assert!(Baseline::from_json(&json!({"jsonpth": 1})).is_err());
        assert!(Baseline::from_json(&json!({"all": -1})).is_err());
        assert!(Baseline::from_json(&json!({"all": 1.5})).is_err());
        assert!(Baseline::from_json(&json!([1])).is_err());
    }

    #[test]
    fn baseline_load_names_the_file() {
        let dir = std::env::temp_dir().join(format!("quickstep-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        std::fs::write(&good, r#"{"jsonpath": 640, "all": 700}"#).unwrap();
        assert_eq!(
            Baseline::load(&good).unwrap(),
            Baseline {
                jsonpath: Some(640),
                all: Some(700)
            }
        );
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"al": 700}"#).unwrap();
        let err = Baseline::load(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("\"al\""), "{err}");
        let err = Baseline::load(&dir.join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.json"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
