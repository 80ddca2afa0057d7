//! The command line: parse arguments, run a command, map the outcome to an exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pcapscrub::anonymize::MappingKey;
use pcapscrub::commands;
use pcapscrub::policy::{self, PolicyError};

/// Exit status for unreadable input or any other error (SPEC §2).
const EXIT_ERROR: u8 = 2;
/// Exit status of `check` when something sensitive was found.
const EXIT_FINDINGS: u8 = 1;
/// Exit status of `policy check` for an invalid policy.
const EXIT_INVALID: u8 = 1;

#[derive(Parser)]
#[command(
    name = "pcapscrub",
    version,
    about = "Turn a packet capture of a TLS connection into evidence anyone may see",
    long_about = "pcapscrub diagnoses where TLS handshakes failed and sanitizes packet captures (pcap, \
pcapng) so they can be attached to tickets, committed to repositories or handed to reviewers: \
addresses move into documentation ranges (RFC 5737/3849/7042) through a keyed one-to-one mapping, \
payloads are removed while TLS handshakes stay readable (host names, certificates and tickets \
replaced by same-length redactions), pcapng comments, name-resolution and decryption-secret \
blocks are dropped, and checksums are made right.",
    after_help = "Examples:\n  pcapscrub diagnose capture.pcap\n  pcapscrub sanitize capture.pcap -o evidence/ --client-log curl.log\n  pcapscrub check captures/\n  pcapscrub verify evidence/\n  tcpdump -w - ... | pcapscrub sanitize - -o evidence/\n  pcapscrub sanitize a.pcap b.pcapng --key team.key -o evidence/ -p strict\n  pcapscrub policy show strict"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a sanitized capture, a summary and SHA256SUMS into an evidence folder.
    #[command(
        long_about = "Write OUTDIR/<stem>.sanitized.<pcap|pcapng>, OUTDIR/<stem>.summary.yaml and \
OUTDIR/SHA256SUMS (checkable with `sha256sum -c`). The folder is created with mode 0700 and every \
file with mode 0600; files are written to temporary names and renamed into place only when all \
succeeded, so an error leaves no partial evidence. Several captures share one address mapping. \
Exit status: 0 written, 2 error."
    )]
    Sanitize {
        /// Capture files (pcap or pcapng, detected by content); `-` reads standard input.
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<String>,
        /// Evidence folder to create (or fill, if empty).
        #[arg(short, long, value_name = "OUTDIR", default_value = "evidence")]
        output: PathBuf,
        /// Policy: a built-in name (ticket, strict, review) or a YAML file.
        #[arg(short, long, value_name = "POLICY", default_value = "ticket")]
        policy: String,
        /// Key file (at least 32 bytes) for a mapping that repeats across runs and captures.
        /// Without it, a random key is used and never stored: each run maps differently.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// Write into an existing, non-empty OUTDIR (files of the same name are replaced).
        #[arg(long)]
        force: bool,
        /// A client's verbose log (`curl -v`, `openssl s_client`): written to OUTDIR as
        /// <log>.sanitized.txt with the capture's pseudonyms for every address and host name.
        #[arg(long, value_name = "FILE")]
        client_log: Option<PathBuf>,
        /// Captures rewritten at once (default: one per core; 1 does all the work, hashing
        /// included, on one thread). The evidence is byte-identical whatever the number.
        #[arg(
            short,
            long,
            value_name = "N",
            default_value_t = 0,
            hide_default_value = true
        )]
        jobs: usize,
    },
    /// Explain where each TLS handshake in a capture failed (writes nothing).
    #[command(
        long_about = "Analyse a capture and print, for every TCP connection, a timeline in the spirit of \
`tcpdump -nn -S -r` (SYN, SYN-ACK, ACK, ClientHello, the server's answer, alerts, FIN/RST, relative \
times), then the verdict with a one-line explanation and a hint. Real addresses are shown: this is \
for the engineer's own machine; --sanitized shows pseudonyms instead. Failing connections come \
first; with many connections the rest are counted by verdict. Exit status: 0 analysed, 2 unreadable."
    )]
    Diagnose {
        /// Capture file (pcap or pcapng); `-` reads standard input.
        capture: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: commands::diagnose::OutputFormat,
        /// Show pseudonymous addresses (as a sanitized capture would) instead of real ones.
        #[arg(long)]
        sanitized: bool,
    },
    /// Find what `sanitize` would remove: the pre-commit and CI gate.
    #[command(
        long_about = "Scan capture files and folders (recursively: .pcap .pcapng .cap .dmp and any file that \
starts with a capture magic number) for everything `sanitize` would remove or rewrite under the \
policy: addresses, MACs, SNI names, certificates, tickets, payloads, DNS and HTTP data, pcapng \
comments and blocks. One line per finding, FILE:PACKET: KIND: detail, most important first; the \
detail never prints a secret in full. Exit status: 0 clean, 1 findings, 2 unreadable."
    )]
    Check {
        /// Files and folders to scan.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Policy: a built-in name (ticket, strict, review) or a YAML file.
        #[arg(short, long, value_name = "POLICY", default_value = "ticket")]
        policy: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: commands::diagnose::OutputFormat,
        /// Findings listed per file; the rest are counted.
        #[arg(long, value_name = "N", default_value_t = 20)]
        max_findings: usize,
        /// Files checked at once (default: one per core). The report is the same whatever
        /// the number.
        #[arg(
            short,
            long,
            value_name = "N",
            default_value_t = 0,
            hide_default_value = true
        )]
        jobs: usize,
    },
    /// Re-check an evidence folder: hashes, captures and summaries.
    #[command(
        long_about = "Recompute every hash in OUTDIR/SHA256SUMS, report missing, modified and added files, \
run `check` on every sanitized capture (under the policy its summary names), and validate every \
summary (required keys, known verdict names, no address outside the documentation ranges). One \
line per problem. Exit status: 0 good, 1 problems, 2 error."
    )]
    Verify {
        /// The evidence folder written by `sanitize`.
        outdir: PathBuf,
    },
    /// Show or validate a policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print the effective policy, every default filled in (default: ticket).
    Show {
        /// A built-in name (ticket, strict, review) or a YAML file.
        policy: Option<String>,
    },
    /// Validate a policy file; errors name the line. Exit status: 0 valid, 1 invalid, 2 unreadable.
    Check {
        /// A built-in name or a YAML file.
        policy: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sanitize {
            captures,
            output,
            policy,
            key,
            force,
            client_log,
            jobs,
        } => sanitize(
            &captures,
            &output,
            &policy,
            key,
            force,
            client_log.as_deref(),
            jobs,
        ),
        Command::Check {
            paths,
            policy,
            format,
            max_findings,
            jobs,
        } => check(&paths, &policy, format, max_findings, jobs),
        Command::Verify { outdir } => verify(&outdir),
        Command::Diagnose {
            capture,
            format,
            sanitized,
        } => diagnose(&capture, format, sanitized),
        Command::Policy(PolicyCommand::Show { policy }) => {
            report_policy(commands::policy::show(policy.as_deref()))
        }
        Command::Policy(PolicyCommand::Check { policy }) => {
            report_policy(commands::policy::check(&policy))
        }
    }
}

fn sanitize(
    captures: &[String],
    output: &std::path::Path,
    policy: &str,
    key: Option<PathBuf>,
    force: bool,
    client_log: Option<&std::path::Path>,
    jobs: usize,
) -> ExitCode {
    let result = (|| -> anyhow::Result<Vec<PathBuf>> {
        let policy = policy::load(policy)?;
        let key = match key {
            Some(path) => MappingKey::from_file(&path)?,
            None => MappingKey::random(),
        };
        let opts = commands::sanitize::SanitizeOptions {
            inputs: captures,
            outdir: output,
            policy: &policy,
            key: &key,
            force,
            client_log,
            jobs,
        };
        commands::sanitize::run(&opts)
    })();
    match result {
        Ok(paths) => {
            for p in paths {
                println!("{}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn diagnose(capture: &str, format: commands::diagnose::OutputFormat, sanitized: bool) -> ExitCode {
    use std::io::IsTerminal;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let opts = commands::diagnose::DiagnoseOptions {
        input: capture,
        format,
        sanitized,
        color,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = commands::diagnose::run(&opts, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out).map_err(anyhow::Error::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn check(
    paths: &[PathBuf],
    policy: &str,
    format: commands::diagnose::OutputFormat,
    max_findings: usize,
    jobs: usize,
) -> ExitCode {
    let policy = match policy::load(policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pcapscrub: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let opts = commands::check::CheckOptions {
        paths,
        policy: &policy,
        format,
        max_findings,
        jobs,
    };
    let outcome = commands::check::run(&opts);
    print!("{}", outcome.report);
    for line in &outcome.error_lines {
        eprintln!("pcapscrub: {line}");
    }
    if outcome.errors > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if outcome.findings > 0 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn verify(outdir: &std::path::Path) -> ExitCode {
    match commands::verify::run(outdir) {
        Ok(outcome) if outcome.problems.is_empty() => {
            println!("{}: evidence verified", outdir.display());
            ExitCode::SUCCESS
        }
        Ok(outcome) => {
            for p in outcome.problems {
                println!("{p}");
            }
            ExitCode::from(EXIT_FINDINGS)
        }
        Err(e) => fail(&e),
    }
}

fn report_policy(result: Result<String, PolicyError>) -> ExitCode {
    match result {
        Ok(text) => {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pcapscrub: {e}");
            match e {
                PolicyError::Invalid { .. } => ExitCode::from(EXIT_INVALID),
                _ => ExitCode::from(EXIT_ERROR),
            }
        }
    }
}

/// One sentence on stderr: the error chain joined, no backtrace.
fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("pcapscrub: {e:#}");
    ExitCode::from(EXIT_ERROR)
}
