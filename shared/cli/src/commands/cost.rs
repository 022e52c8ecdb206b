//! `quickstep cost`: what one workflow costs per million executions on quickstep (both ways)
//! and on Step Functions (Express and Standard), measured by running it (see [`crate::cost`]).

use std::process::ExitCode;

use serde_json::json;

use super::input;
use crate::cost::bill::{self, Front, Priced, StepFunctions};
use crate::cost::drive::{self, Measured, Model, Workflow};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    workflow: input::WorkflowArgs,
    /// Milliseconds each task call takes (the function calling it waits, and is billed).
    #[arg(long, default_value_t = 20.0)]
    task_ms: f64,
    /// Milliseconds each DynamoDB, SQS or EventBridge request takes.
    #[arg(long, default_value_t = 5.0)]
    request_ms: f64,
    /// Milliseconds an asynchronous start runs its execution before it answers (the
    /// template's `StartInlineMs`; 0: none, as Step Functions). Task calls take no time on the
    /// clock here: the start runs on to the first Wait, callback or the step's bound.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    start_inline_ms: i64,
    /// The functions' memory in MB (the template's `MemorySize`).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(128..=10_240))]
    memory_mb: u64,
    /// How callers reach quickstep's API.
    #[arg(long, value_enum, default_value_t = Front::FunctionUrl)]
    front: Front,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let (definition, execution_input, name) = args.workflow.load()?;
    // As the service checks it (callbacks are for the asynchronous path only).
    crate::execute::check(&definition, false).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!("the definition is invalid:\n{}", lines.join("\n"))
    })?;
    let workflow = Workflow {
        name,
        input: execution_input,
        mocks: args.workflow.mocks.load()?,
        definition,
    };
    if !(args.task_ms >= 0.0 && args.request_ms >= 0.0) {
        return Err("--task-ms and --request-ms are milliseconds, 0 or more".into());
    }
    let model = Model {
        task_ms: args.task_ms,
        request_ms: args.request_ms,
        memory_mb: args.memory_mb,
        start_inline_ms: args.start_inline_ms,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let measured = runtime.block_on(drive::measure(&workflow, &model))?;
    let sync = measured
        .sync
        .as_ref()
        .map(|usage| bill::price(usage, args.front, &model))
        .map_err(Clone::clone);
    let asynchronous = bill::price(&measured.asynchronous, args.front, &model);
    let express = bill::express(
        &measured,
        &model,
        workflow.definition.to_string().len(),
        workflow.input.to_string().len(),
    );
    let standard = bill::standard(&measured);
    if args.json {
        let sync = match &sync {
            Ok(priced) => json!(priced),
            Err(why) => json!({"total": null, "unavailable": why}),
        };
        println!(
            "{}",
            json!({
                "front": args.front,
                "sync": sync,
                "async": asynchronous,
                "express": express,
                "standard": standard,
            })
        );
    } else {
        print!(
            "{}",
            table(
                &workflow.name,
                &measured,
                args.front,
                &sync,
                &asynchronous,
                &express,
                &standard
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn dollars(value: f64) -> String {
    format!("${value:.2}")
}

/// One line of the table, read off a priced way of running.
type Line = fn(&Priced) -> f64;

/// The human-readable report.
fn table(
    name: &str,
    measured: &Measured,
    front: Front,
    sync: &Result<Priced, String>,
    asynchronous: &Priced,
    express: &StepFunctions,
    standard: &StepFunctions,
) -> String {
    let usage = &asynchronous.usage;
    let mut out = format!(
        "quickstep cost: {name} ({}, {} task call{}, {} state transition{})\n\
         dollars per million executions, US East (N. Virginia) on-demand prices, no free tier\n\n",
        usage.status,
        usage.task_calls,
        if usage.task_calls == 1 { "" } else { "s" },
        measured.transitions,
        if measured.transitions == 1 { "" } else { "s" },
    );
    let front_name = match front {
        Front::FunctionUrl => "function URL",
        Front::HttpApi => "API Gateway HTTP API",
        Front::RestApi => "API Gateway REST API",
    };
    let rows: [(&str, Line); 8] = [
        ("front door", |p| p.lines.front),
        ("Lambda requests", |p| p.lines.lambda_requests),
        ("Lambda duration", |p| p.lines.lambda_duration),
        ("SQS", |p| p.lines.sqs),
        ("DynamoDB reads", |p| p.lines.dynamodb_reads),
        ("DynamoDB writes", |p| p.lines.dynamodb_writes),
        ("EventBridge", |p| p.lines.eventbridge),
        ("total", |p| p.total),
    ];
    out.push_str(&format!(
        "{:<18} {:>12} {:>13}\n",
        format!("({front_name})"),
        "synchronous",
        "asynchronous"
    ));
    for (label, line) in rows {
        let sync = sync
            .as_ref()
            .map_or_else(|_| "-".to_owned(), |p| dollars(line(p)));
        out.push_str(&format!(
            "{label:<18} {sync:>12} {:>13}\n",
            dollars(line(asynchronous))
        ));
    }
    if let Err(why) = sync {
        out.push_str(&format!("\nnot synchronously: {why}\n"));
    }
    let uses = |p: &Priced| {
        let u = &p.usage;
        format!(
            "{}: {} Lambda invocation(s) billed {} ms, {} SQS request(s), {} DynamoDB request(s) \
             ({} read unit(s), {} write unit(s)), {} EventBridge entr(y/ies)",
            u.status,
            u.lambda_invocations,
            u.lambda_ms,
            u.sqs_requests,
            u.dynamodb.requests,
            u.dynamodb.read_units,
            u.dynamodb.write_units,
            u.events
        )
    };
    out.push('\n');
    if let Ok(sync) = sync {
        out.push_str(&format!("synchronous: {}\n", uses(sync)));
    }
    out.push_str(&format!("asynchronous: {}\n\n", uses(asynchronous)));
    match (express.total, &express.unavailable) {
        (Some(total), _) => out.push_str(&format!(
            "Step Functions Express: {} ({} ms at {} MB)\n",
            dollars(total),
            express.billed_ms.unwrap_or(0),
            express.billed_mb.unwrap_or(0)
        )),
        (None, why) => out.push_str(&format!(
            "Step Functions Express: - ({})\n",
            why.as_deref().unwrap_or("not available")
        )),
    }
    out.push_str(&format!(
        "Step Functions Standard: {} ({} state transitions)\n",
        dollars(standard.total.unwrap_or(0.0)),
        standard.transitions.unwrap_or(0)
    ));
    out
}
