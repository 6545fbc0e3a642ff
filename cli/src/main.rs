//! `aiobs`: a command-line viewer for aiobs export files.

mod cost;
mod dataset;
mod error;
mod errors;
mod format;
mod load;
mod model;
mod otlp;
mod payload;
mod progress;
mod report;
mod stats;
mod summary;
mod summary_text;
mod top;
mod tree;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use aiobs_cli::{trace, validate};
use clap::{Parser, Subcommand};

use crate::cost::PriceTable;
use crate::error::{CliError, exit};
use crate::progress::Progress;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  validate found problems in an export
  2  usage error (bad arguments)
  3  an input file is unreadable or not a valid export (the message names the file and the JSON position)
  4  writing the output or sending the OTLP export failed";

#[derive(Parser)]
#[command(
    name = "aiobs",
    version,
    about = "View aiobs export files: summary, trace tree, HTML report, schema check, OTLP replay.",
    long_about = "View aiobs export files: summary, trace tree, HTML report, schema check, OTLP replay.\n\n\
                  Commands that take several files merge them: sessions by id, calls and functions \
                  concatenated, trace trees rebuilt from span ids. Nothing is sent over the network \
                  except by `export --otlp`.",
    after_help = EXIT_CODES
)]
struct Cli {
    /// Print progress on stderr even when stderr is not a terminal or the input is small
    /// (by default only for inputs over 50 MB or 100,000 events, on a terminal).
    #[arg(long, global = true)]
    progress: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sessions and labels; calls by provider, API and model; tokens; latency median and
    /// p95; errors; estimated cost.
    Summary {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print machine-readable JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// Price table to use instead of the built-in one (same shape as cli/prices.json).
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
        /// Also group sessions by a label's value, with their calls, tokens and cost, e.g.
        /// `--by label:user_id`; repeatable.
        #[arg(long = "by", value_name = "label:KEY", value_parser = parse_label_key)]
        by: Vec<String>,
    },
    /// The trace tree of each session, with durations, tokens and errors.
    Tree {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Only this session: its id, the id's first characters (4 or more), or its name.
        #[arg(long, value_name = "SESSION")]
        session: Option<String>,
        /// Only this trace: its trace id, or the span id of any of its spans.
        #[arg(long, value_name = "ID")]
        trace: Option<String>,
        /// Only traces with a failed call or function.
        #[arg(long)]
        errors: bool,
    },
    /// The slowest or most expensive provider calls, with their span and trace ids.
    Top {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// What to rank by.
        #[arg(long, value_enum, default_value_t = top::Rank::Duration)]
        by: top::Rank,
        /// How many calls to list.
        #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 10)]
        count: usize,
        /// Print machine-readable JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Price table to use instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
    },
    /// Write one self-contained HTML report (no network needed to view it).
    Report {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Where to write the report.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Price table to use instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
        /// Payloads (request, response, args, result) larger than this are embedded as a
        /// preview only, so embedding vectors do not bloat the page.
        #[arg(long, value_name = "BYTES", default_value_t = report::DEFAULT_MAX_PAYLOAD_BYTES)]
        max_payload_bytes: usize,
        /// Page title.
        #[arg(long, default_value = "aiobs report")]
        title: String,
    },
    /// Check files against the export schema; exit 1 when any problem is found.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Replay files into a tracing backend over OTLP/HTTP (POST {URL}/v1/traces).
    Export {
        /// Base URL of an OTLP/HTTP receiver, e.g. http://localhost:4318 (http or https).
        #[arg(long, value_name = "URL")]
        otlp: String,
        /// Wire encoding: http/protobuf (the OpenTelemetry default) or http/json.
        #[arg(long, value_name = "PROTOCOL", default_value = "http/protobuf", value_parser = otlp::parse_protocol)]
        protocol: aiobs::otlp::Protocol,
        /// Send prompts and completions (gen_ai.input.messages / gen_ai.output.messages).
        #[arg(long)]
        capture_message_content: bool,
        /// Add the OpenInference attributes (for Arize Phoenix).
        #[arg(long)]
        openinference: bool,
        /// Extra request header, e.g. "Authorization=Basic abc"; repeatable.
        #[arg(long = "header", value_name = "NAME=VALUE", value_parser = parse_header)]
        headers: Vec<(String, String)>,
        /// `service.name` of the exported resource.
        #[arg(long, default_value = "aiobs")]
        service_name: String,
        /// Connect, send and receive timeout per request.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

fn parse_label_key(text: &str) -> Result<String, String> {
    match text.strip_prefix("label:") {
        Some(key) if !key.is_empty() => Ok(key.to_string()),
        _ => Err(format!(
            "expected label:KEY, e.g. label:user_id, got {text:?}"
        )),
    }
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    let progress = Progress::new(cli.progress);
    match run(cli.command, &progress) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("aiobs: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(command: Command, progress: &Progress) -> Result<u8, CliError> {
    match command {
        Command::Summary {
            files,
            json,
            prices,
            by,
        } => {
            let prices = PriceTable::load(prices.as_deref())?;
            let text = load::with_dataset(&files, progress, |dataset| {
                let summary = summary::summarise(dataset, &prices, files.len(), &by);
                Ok(if json {
                    serde_json::to_string_pretty(&summary).expect("summary serialises") + "\n"
                } else {
                    summary_text::render(&summary)
                })
            })?;
            print(&text)
        }
        Command::Tree {
            files,
            session,
            trace,
            errors,
        } => {
            let filter = tree::Filter {
                session,
                trace,
                errors,
            };
            let text = load::with_dataset(&files, progress, |dataset| {
                Ok(tree::render(dataset, &filter))
            })?;
            print(&text)
        }
        Command::Top {
            files,
            by,
            count,
            json,
            prices,
        } => {
            let prices = PriceTable::load(prices.as_deref())?;
            let text = load::with_dataset(&files, progress, |dataset| {
                let rows = top::rank(dataset, &prices, by, count);
                Ok(if json {
                    serde_json::to_string_pretty(&rows).expect("rows serialise") + "\n"
                } else {
                    top::render(&rows, by)
                })
            })?;
            print(&text)
        }
        Command::Report {
            files,
            output,
            prices,
            max_payload_bytes,
            title,
        } => {
            refuse_to_overwrite_inputs(&output, &files)?;
            let prices = PriceTable::load(prices.as_deref())?;
            let options = report::Options {
                title,
                max_payload_bytes,
                files: file_names(&files),
            };
            load::with_dataset(&files, progress, |dataset| {
                progress.step(format_args!("writing {}", output.display()));
                report::write_file(dataset, &prices, &options, &output)
            })?;
            Ok(exit::OK)
        }
        Command::Validate { files } => validate_files(&files, progress),
        Command::Export {
            otlp,
            protocol,
            capture_message_content,
            openinference,
            headers,
            service_name,
            timeout,
            files,
        } => {
            let target = otlp::Target {
                url: otlp::Target::endpoint_for(&otlp)?,
                headers,
                service_name,
                timeout: Duration::from_secs(timeout.max(1)),
                protocol,
                options: aiobs::otlp::mapping::MappingOptions {
                    capture_message_content,
                    openinference,
                },
            };
            let text = load::with_dataset(&files, progress, |dataset| {
                otlp::export(dataset, &target, progress)
            })?;
            print(&text)
        }
    }
}

/// Validates each file on its own; an unreadable file does not stop the others.
fn validate_files(files: &[PathBuf], progress: &Progress) -> Result<u8, CliError> {
    let mut out = String::new();
    let (mut problems, mut unreadable) = (0, 0);
    for path in files {
        let found = match validate_file(path, progress) {
            Ok(found) => found,
            Err(error) => {
                eprintln!("aiobs: {error}");
                unreadable += 1;
                continue;
            }
        };
        if found.is_empty() {
            out += &format!("{}: ok\n", path.display());
        }
        for problem in &found {
            out += &format!(
                "{}: {}: {}\n",
                path.display(),
                problem.path,
                problem.message
            );
        }
        problems += found.len();
    }
    out += &format!(
        "{} file(s) checked, {problems} problem(s), {unreadable} unreadable\n",
        files.len()
    );
    print(&out)?;
    Ok(if unreadable > 0 {
        exit::INPUT
    } else if problems > 0 {
        exit::PROBLEMS
    } else {
        exit::OK
    })
}

/// `report a.json -o a.json` would replace the export with its report: refused, as is any
/// other name for the same file (a link, `./a.json`).
fn refuse_to_overwrite_inputs(output: &Path, inputs: &[PathBuf]) -> Result<(), CliError> {
    let Ok(output_file) = std::fs::canonicalize(output) else {
        return Ok(()); // not there yet, so no input
    };
    for input in inputs {
        if std::fs::canonicalize(input).is_ok_and(|input| input == output_file) {
            return Err(CliError::Usage(format!(
                "refusing to write the report over its input {}; choose another --output",
                input.display()
            )));
        }
    }
    Ok(())
}

/// Streams one file through the checks, on a thread with room for the deepest nesting the
/// checks allow (trace trees of 256 levels hold payloads of 128).
fn validate_file(path: &Path, progress: &Progress) -> Result<Vec<validate::Problem>, CliError> {
    let file = load::open(path, progress)?;
    progress.step(format_args!("validating {}", path.display()));
    let checked = std::thread::Builder::new()
        .stack_size(VALIDATE_STACK_BYTES)
        .spawn(move || validate::validate_reader(file))
        .map_err(|e| CliError::input(path, e.to_string()))?
        .join()
        .map_err(|_| CliError::input(path, "the check failed unexpectedly"))?;
    checked.map_err(|e| load::json_error(path, &e))
}

const VALIDATE_STACK_BYTES: usize = 64 << 20;

fn file_names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|path| {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Writes to stdout; a closed pipe (`aiobs summary … | head`) is not an error.
fn print(text: &str) -> Result<u8, CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(CliError::Export(format!("writing to stdout: {e}"))),
    }
}
