//! `quickstep jsonata`: one JSONata expression evaluated the way the engine evaluates it, one JSON
//! object on stdout: `{"result": ...}`, `{"undefined": true}` or `{"error": {"code", "message"}}`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use quickstep_engine::jsonata::{template_expression, Environment, Expression, Limits};
use serde_json::{json, Map, Value};

use super::input;

#[derive(clap::Args)]
pub struct Args {
    /// The expression: a file holding it, with or without the surrounding `{% %}` (- for stdin).
    expression: PathBuf,
    /// The input (`$`): a JSON file (default: {}).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Variable bindings: a JSON file holding an object, name (without `$`) to value, e.g.
    /// {"states": {"input": ...}, "myVariable": 1}.
    #[arg(long)]
    bindings: Option<PathBuf>,
    /// The time limit in milliseconds (default: the engine's).
    #[arg(long)]
    time_limit_ms: Option<u64>,
    /// The evaluation depth limit (default: the engine's).
    #[arg(long)]
    depth_limit: Option<usize>,
}

/// The real clock, and random bits from a generator seeded with the time.
struct RealEnvironment {
    state: u64,
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Environment for RealEnvironment {
    fn now_millis(&self) -> i64 {
        now_millis()
    }

    fn random_u64(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let text = input::read_text(&args.expression)?;
    let text = text.trim();
    let text = template_expression(text).unwrap_or(text);
    let input = match &args.input {
        Some(path) => input::read_json(path, "input")?,
        None => Value::Object(Map::new()),
    };
    let bindings = match &args.bindings {
        Some(path) => match input::read_json(path, "bindings")? {
            Value::Object(map) => map,
            _ => {
                return Err(format!(
                    "bindings {} must hold a JSON object",
                    path.display()
                ))
            }
        },
        None => Map::new(),
    };
    let defaults = Limits::default();
    let limits = Limits {
        max_depth: args.depth_limit.unwrap_or(defaults.max_depth),
        time_limit_ms: args.time_limit_ms.unwrap_or(defaults.time_limit_ms),
        ..defaults
    };
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        u64::try_from(d.as_nanos() & u128::from(u64::MAX)).unwrap_or(0)
    });
    let mut env = RealEnvironment { state: seed };
    let pairs: Vec<(&str, &Value)> = bindings.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let outcome =
        Expression::parse(text).and_then(|expr| expr.evaluate(&input, &pairs, &mut env, limits));
    let report = match outcome {
        Ok(Some(result)) => json!({ "result": result }),
        Ok(None) => json!({ "undefined": true }),
        Err(e) => json!({ "error": { "code": e.code, "message": e.message } }),
    };
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}
