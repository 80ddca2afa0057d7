//! The command line: parse arguments, run a command, map the outcome to an exit status.

use std::path::{Path, PathBuf};

use anyhow::Context;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use pcapscrub::anonymize::MappingKey;
use pcapscrub::commands;
use pcapscrub::interrupt;
use pcapscrub::policy::{self, PolicyError};
use pcapscrub::report::evidence::EvidenceStem;

/// Exit status for unreadable input or any other error (README, commands table).
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
    after_help = "Examples:\n  pcapscrub diagnose capture.pcap\n  pcapscrub sanitize capture.pcap -o evidence/ --client-log curl.log\n  pcapscrub check captures/\n  pcapscrub verify evidence/\n  tcpdump -w - ... | pcapscrub sanitize - -o evidence/\n  pcapscrub sanitize a.pcap b.pcapng --key team.key -o evidence/ -p strict\n  pcapscrub sanitize capture.pcap -o evidence/ --mapping-out private.tsv\n  pcapscrub reveal --mapping private.tsv vendor-reply.txt\n  pcapscrub policy show strict\n  pcapscrub plan shard1/*.pcap -o shard1.plan && pcapscrub plan merge shard*.plan -o all.plan\n  pcapscrub sanitize --plan all.plan shard1/*.pcap --key team.key -o evidence-1/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a sanitized capture, a summary and SHA256SUMS into an evidence folder.
    #[command(
        long_about = "Write OUTDIR/capture.sanitized.<pcap|pcapng>, OUTDIR/capture.summary.yaml and \
OUTDIR/SHA256SUMS (checkable with `sha256sum -c`); several captures become capture-1, capture-2, \
... in the order given, and --name replaces `capture`. The input's file name is never written into \
the evidence. The folder is created with mode 0700 and every file with mode 0600; files are written \
to temporary names and renamed into place only when all succeeded, so an error or an interrupt \
(SIGINT, SIGTERM, SIGHUP: exit status 130, 143, 129) leaves no partial evidence. Several captures \
share one address mapping. Exit status: 0 written, 2 error."
    )]
    Sanitize(SanitizeArgs),
    /// Split one run across processes or machines: record a shard's observations, or merge them.
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        long_about = "Run pass 1 over a shard's captures and write what it observed to FILE: every \
address in first-seen order with its role, the host names and how many certificates the policy \
replaces, with each capture's SHA-256. `pcapscrub plan merge` joins the shards' plans, in the \
order given, into the plan of the whole run; `pcapscrub sanitize --plan ALL.plan` then writes each \
shard's evidence with the run's mapping, so the shards' evidence together is what one run over all \
the captures writes (docs/sharding.md: GNU parallel, several hosts, a Kubernetes Indexed Job). A \
plan holds the original addresses and host names: keep it as private as the captures; it is \
written with mode 0600 and never over an existing file without --force. Exit status: 0 written, 2 \
error."
    )]
    Plan(PlanArgs),
    /// Turn the pseudonyms in a text (a reply about the evidence) back into the originals.
    #[command(
        long_about = "Read a text (a file, or standard input for `-` or none) and print it with every \
pseudonym of the private mapping written by `sanitize --mapping-out` replaced by the original: \
addresses, MACs and host names wherever they stand as whole tokens, and the evidence file names \
(capture.sanitized.pcap, capture.summary.yaml) by the input's path. Exit status: 0, 2 error."
    )]
    Reveal {
        /// The private mapping written by `sanitize --mapping-out`.
        #[arg(long, value_name = "FILE")]
        mapping: PathBuf,
        /// The text to translate; `-` or none reads standard input.
        text: Option<PathBuf>,
    },
    /// Explain where each TLS handshake in a capture failed (writes nothing).
    #[command(
        long_about = "Analyse a capture and print, for every TCP connection, a timeline in the spirit of \
`tcpdump -nn -S -r` (SYN, SYN-ACK, ACK, ClientHello, the server's answer, alerts, FIN/RST, relative \
times), then the verdict with a one-line explanation and a hint. Real addresses are shown: this is \
for the engineer's own machine; --sanitized shows pseudonyms instead. Failing connections come \
first; with many connections the rest are counted by verdict. Exit status: 0 analysed, 2 unreadable."
    )]
    Diagnose(DiagnoseArgs),
    /// Find what `sanitize` would remove: the pre-commit and CI gate.
    #[command(
        long_about = "Scan capture files and folders (recursively: .pcap .pcapng .cap .dmp and any file whose \
content is a capture, gzip-compressed or not; other files are ignored; `-` reads standard input) for everything `sanitize` would remove or rewrite under the \
policy: addresses, MACs, SNI names, certificates, tickets, payloads, DNS and HTTP data, pcapng \
comments and blocks. One line per finding, FILE:PACKET: KIND: detail, most important first; the \
detail never prints a secret in full. Exit status: 0 clean, 1 findings, 2 unreadable."
    )]
    Check(CheckArgs),
    /// Re-check an evidence folder: hashes, captures and summaries.
    #[command(
        long_about = "Recompute every hash in OUTDIR/SHA256SUMS, report missing, modified and added files, \
run `check` on every sanitized capture (under the folder's policy.yaml), and validate every \
summary (required keys, known verdict names, `verdict` and `verdict_counts` agreeing with the connections, its policy hash, no address the policy does not allow). One \
line per problem. Exit status: 0 good, 1 problems, 2 error."
    )]
    Verify {
        /// The evidence folder written by `sanitize`.
        outdir: PathBuf,
        /// Output format (yaml and json: `outdir`, `verified`, `problems`).
        #[arg(long, value_enum, default_value = "text")]
        format: commands::diagnose::OutputFormat,
    },
    /// Show or validate a policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on standard output.
    #[command(
        long_about = "Print a completion script for SHELL on standard output. For bash: \
`pcapscrub completions bash > ~/.local/share/bash-completion/completions/pcapscrub`; for zsh: \
`pcapscrub completions zsh > ~/.zfunc/_pcapscrub` (with ~/.zfunc in $fpath); for fish: \
`pcapscrub completions fish > ~/.config/fish/completions/pcapscrub.fish`."
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output: `pcapscrub man | man -l -`.
    Man,
}

// The options of the commands that take many, declared once: clap reads them from these
// structs, and the command functions take them whole. (Plain comments: a doc comment here
// would become the command's description in `--help`.)

#[derive(Args)]
struct SanitizeArgs {
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
    /// Write into an existing, non-empty OUTDIR: files of the same name are replaced, and
    /// the evidence its previous SHA256SUMS listed is removed once the new one is in place.
    #[arg(long)]
    force: bool,
    /// A client's verbose log (`curl -v`, `openssl s_client`): written to OUTDIR as
    /// client-log.sanitized.txt with the capture's pseudonyms for every address and host name.
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
    /// The evidence files' stem instead of `capture` (a plain file name: no `/`, no leading
    /// dot); several captures are numbered STEM-1, STEM-2, ...
    #[arg(long, value_name = "STEM", default_value_t = EvidenceStem::default())]
    name: EvidenceStem,
    /// Also write the private table of every pseudonym and the original it replaced
    /// (addresses, MACs, host names, each evidence stem and its input's path), mode 0600,
    /// for `pcapscrub reveal`. Never inside OUTDIR: it undoes the sanitizing. Tab-separated
    /// lines KIND, PSEUDONYM, ORIGINAL (kinds ipv4, ipv6, mac, name, stem; `#` starts a
    /// comment; `\\`, `\t`, `\n`, `\r` escape those characters in a field).
    #[arg(long, value_name = "FILE")]
    mapping_out: Option<PathBuf>,
    /// The summary's format: STEM.summary.yaml, STEM.summary.json (the same keys, one
    /// object, one connection per line) or both; each is listed in SHA256SUMS.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "yaml")]
    summary_format: pcapscrub::report::summary::SummaryFormat,
    /// Timeline events the summary keeps per connection; the rest are counted in
    /// `timeline_omitted` (`diagnose --connection N` shows them).
    #[arg(long, value_name = "N", default_value_t = pcapscrub::report::summary::SUMMARY_TIMELINE)]
    summary_timeline: usize,
    /// Connections the summary describes in full: the N most significant (failures first), or
    /// `all`. Every other connection gets a compact entry (`detail: compact`: endpoints,
    /// verdict, explanation, SNI pseudonym, alerts, counts), so a summary of thousands of
    /// connections still loads in about a second; `diagnose --connection N` shows the rest.
    #[arg(long, value_name = "N|all", default_value_t = pcapscrub::report::summary::SummaryFull::MostSignificant(pcapscrub::report::summary::SUMMARY_FULL))]
    summary_full: pcapscrub::report::summary::SummaryFull,
    /// A TLS key log (NSS format, as `SSLKEYLOGFILE` or `openssl -keylogfile` write it); may be
    /// repeated. The diagnosis opens what it can (encrypted alerts, TLS 1.3 certificates) in
    /// memory only; nothing decrypted and no key is ever written.
    #[arg(long = "keylog", value_name = "FILE")]
    keylog: Vec<PathBuf>,
    /// The merged plan (`pcapscrub plan merge`) of a run these captures are a shard of: the
    /// mapping, pseudonyms and evidence names are the whole run's (docs/sharding.md). Every
    /// capture must be one the plan was made from; the policy must be the plan's.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
}

#[derive(Args)]
struct PlanArgs {
    #[command(subcommand)]
    merge: Option<PlanMerge>,
    /// The shard's capture files (pcap or pcapng); `-` reads standard input.
    #[arg(required = true, value_name = "CAPTURE")]
    captures: Vec<String>,
    /// The plan file to write (mode 0600; never inside an evidence folder).
    #[arg(short, long, value_name = "FILE", required = true)]
    output: Option<PathBuf>,
    /// Policy: the one every shard's `sanitize` will use (a plan serves only runs under it).
    #[arg(short, long, value_name = "POLICY", default_value = "ticket")]
    policy: String,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
    /// Captures analysed at once (default: one per core). The plan is the same whatever
    /// the number.
    #[arg(
        short,
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    jobs: usize,
}

#[derive(Subcommand)]
enum PlanMerge {
    /// Join shards' plans, in the order given, into the plan of the whole run.
    Merge {
        /// The shards' plans, in the run's order.
        #[arg(required = true, value_name = "PLAN")]
        plans: Vec<PathBuf>,
        /// The merged plan to write (mode 0600).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct DiagnoseArgs {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    capture: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: commands::diagnose::OutputFormat,
    /// Show pseudonymous addresses (as a sanitized capture would) instead of real ones.
    #[arg(long)]
    sanitized: bool,
    /// With --sanitized: the key file given to `sanitize --key`, so the pseudonyms shown are
    /// those of the evidence. Without it they come from a random key.
    #[arg(long, value_name = "KEYFILE", requires = "sanitized")]
    key: Option<PathBuf>,
    /// With --sanitized: the policy given to `sanitize -p` (host-name pseudonyms or keyed
    /// hashes, allowlisted addresses and names kept).
    #[arg(
        short,
        long,
        value_name = "POLICY",
        default_value = "ticket",
        requires = "sanitized"
    )]
    policy: String,
    /// Show only connection N (the number the report gives it).
    #[arg(long, value_name = "N")]
    connection: Option<usize>,
    /// Show only connections with this verdict (a name README lists, e.g. server_alert).
    #[arg(long, value_name = "NAME", value_parser = parse_verdict)]
    verdict: Option<pcapscrub::analyze::verdict::Verdict>,
    /// Text: list every connection in full (by default the failing ones, at most 20, and the
    /// rest counted by verdict).
    #[arg(long)]
    all: bool,
    /// A TLS key log (NSS format, as `SSLKEYLOGFILE` or `openssl -keylogfile` write it); may be
    /// repeated. The diagnosis opens what it can (encrypted alerts, TLS 1.3 certificates) in
    /// memory only; nothing decrypted and no key is ever written.
    #[arg(long = "keylog", value_name = "FILE")]
    keylog: Vec<PathBuf>,
}

/// A verdict by its stable name; the error lists them all.
fn parse_verdict(name: &str) -> Result<pcapscrub::analyze::verdict::Verdict, String> {
    use pcapscrub::analyze::verdict::Verdict;
    use pcapscrub::stable_names::StableName;
    Verdict::from_name(name)
        .ok_or_else(|| format!("not a verdict; one of: {}", Verdict::NAMES.join(", ")))
}

#[derive(Args)]
struct CheckArgs {
    /// Files and folders to scan; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Policy: a built-in name (ticket, strict, review) or a YAML file. Default: an
    /// evidence folder's own policy.yaml, else ticket.
    #[arg(short, long, value_name = "POLICY")]
    policy: Option<String>,
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
    /// A TLS key log (NSS format, as `SSLKEYLOGFILE` or `openssl -keylogfile` write it); may be
    /// repeated. The diagnosis opens what it can (encrypted alerts, TLS 1.3 certificates) in
    /// memory only; nothing decrypted and no key is ever written.
    #[arg(long = "keylog", value_name = "FILE")]
    keylog: Vec<PathBuf>,
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
        Command::Sanitize(args) => sanitize(args),
        Command::Plan(args) => plan(args),
        Command::Reveal { mapping, text } => reveal(&mapping, text.as_deref()),
        Command::Check(args) => check(args),
        Command::Verify { outdir, format } => verify(&outdir, format),
        Command::Diagnose(args) => diagnose(args),
        Command::Policy(PolicyCommand::Show { policy }) => {
            report_policy(commands::policy::show(policy.as_deref()))
        }
        Command::Policy(PolicyCommand::Check { policy }) => {
            report_policy(commands::policy::check(&policy))
        }
        Command::Completions { shell } => completions(shell),
        Command::Man => man_page(),
    }
}

/// Writes the completion script of `shell`; both this and the man page are generated from the
/// same clap definitions as the parser, so they cannot fall behind the commands.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pcapscrub", &mut script);
    write_stdout(&script).map_or_else(|e| fail(&e), |()| ExitCode::SUCCESS)
}

fn man_page() -> ExitCode {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("cannot render the manual page")
        .and_then(|()| write_stdout(&page))
        .map_or_else(|e| fail(&e), |()| ExitCode::SUCCESS)
}

/// Starts the thread that removes a run's temporary files on SIGINT, SIGTERM or SIGHUP.
fn handle_interrupts() -> anyhow::Result<()> {
    interrupt::install()
        .map_err(|e| anyhow::anyhow!("cannot set up the handling of interrupts: {e}"))
}

fn sanitize(args: SanitizeArgs) -> ExitCode {
    let result = (|| -> anyhow::Result<commands::sanitize::Sanitized> {
        handle_interrupts()?;
        let policy = policy::load(&args.policy)?;
        let key = match &args.key {
            Some(path) => MappingKey::from_file(path)?,
            None => MappingKey::random(),
        };
        let opts = commands::sanitize::SanitizeOptions {
            inputs: &args.captures,
            outdir: &args.output,
            policy: &policy,
            key: &key,
            force: args.force,
            client_log: args.client_log.as_deref(),
            jobs: args.jobs,
            name: &args.name,
            mapping_out: args.mapping_out.as_deref(),
            summary: commands::sanitize::SummarySettings {
                format: args.summary_format,
                timeline: args.summary_timeline,
                full: args.summary_full,
            },
            keylog: commands::keylog::load(&args.keylog)?,
            plan: args.plan.as_deref(),
        };
        commands::sanitize::run(&opts)
    })();
    match result {
        Ok(done) => {
            // The evidence is written whatever happens to this list (a closed pipe, a full disk).
            let mut out = std::io::stdout().lock();
            for p in &done.written {
                let _ = std::io::Write::write_fmt(&mut out, format_args!("{}\n", p.display()));
            }
            // The run in one line, where people look when a command ends.
            eprintln!("{}: {}", args.output.display(), done.result);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn plan(args: PlanArgs) -> ExitCode {
    let result = (|| -> anyhow::Result<PathBuf> {
        handle_interrupts()?;
        if let Some(PlanMerge::Merge {
            plans,
            output,
            force,
        }) = &args.merge
        {
            return commands::plan::merge(plans, output, *force);
        }
        let output = args
            .output
            .as_deref()
            .context("the plan file to write is missing: give -o FILE")?;
        let policy = policy::load(&args.policy)?;
        commands::plan::run(&commands::plan::PlanOptions {
            inputs: &args.captures,
            output,
            policy: &policy,
            force: args.force,
            jobs: args.jobs,
        })
    })();
    match result {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn diagnose(args: DiagnoseArgs) -> ExitCode {
    use std::io::IsTerminal;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let result = (|| -> anyhow::Result<()> {
        handle_interrupts()?;
        let key = match &args.key {
            Some(path) => MappingKey::from_file(path)?,
            None => MappingKey::random(),
        };
        let policy = policy::load(&args.policy)?;
        let opts = commands::diagnose::DiagnoseOptions {
            input: &args.capture,
            format: args.format,
            sanitized: args.sanitized,
            key: &key,
            policy: &policy,
            filter: commands::diagnose::ConnectionFilter {
                connection: args.connection,
                verdict: args.verdict,
                all: args.all,
            },
            color,
            keylog: commands::keylog::load(&args.keylog)?,
        };
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        commands::diagnose::run(&opts, &mut out)?;
        std::io::Write::flush(&mut out).context("cannot write the report to standard output")
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn reveal(mapping: &Path, text: Option<&Path>) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match commands::reveal::run(mapping, text, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let policy = match args.policy.as_deref().map(policy::load).transpose() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pcapscrub: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let keylog = match commands::keylog::load(&args.keylog) {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    let opts = commands::check::CheckOptions {
        paths: &args.paths,
        policy: policy.as_ref(),
        format: args.format,
        max_findings: args.max_findings,
        jobs: args.jobs,
        keylog,
    };
    let outcome = commands::check::run(&opts);
    for note in &outcome.notes {
        eprintln!("pcapscrub: {note}");
    }
    if let Err(e) = write_stdout(&outcome.report) {
        return fail(&e);
    }
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

fn verify(outdir: &std::path::Path, format: commands::diagnose::OutputFormat) -> ExitCode {
    match commands::verify::run(outdir) {
        Ok(outcome) => match write_stdout(outcome.render(outdir, format)) {
            Ok(()) if outcome.problems.is_empty() => ExitCode::SUCCESS,
            Ok(()) => ExitCode::from(EXIT_FINDINGS),
            Err(e) => fail(&e),
        },
        Err(e) => fail(&e),
    }
}

fn report_policy(result: Result<String, PolicyError>) -> ExitCode {
    match result {
        Ok(text) => {
            let end = if text.ends_with('\n') { "" } else { "\n" };
            match write_stdout(format!("{text}{end}")) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
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

/// Writes a command's report; `print!` would panic on a full disk or a closed pipe.
fn write_stdout(text: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, text.as_ref())
        .and_then(|()| std::io::Write::flush(&mut out))
        .context("cannot write standard output")
}

/// One sentence on stderr: the error chain joined, no backtrace.
fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("pcapscrub: {e:#}");
    ExitCode::from(EXIT_ERROR)
}
