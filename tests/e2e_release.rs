//! Issue 12: the release command (`scripts/release`), and its artifacts installed the way users install a provider.
//!
//! - `release_installs_with_terraform_init`: from a clean checkout of this working tree, with a throwaway GPG key
//!   in a temp GNUPGHOME, the release command writes exactly the registry's files (zips, SHA256SUMS, its detached
//!   signature, the manifest) plus the simulator's archive; the signature verifies; the provider zip, laid into a
//!   `filesystem_mirror` in the packed and in the unpacked layout, installs with a real `terraform init` (no
//!   `dev_overrides`), whose `.terraform.lock.hcl` records the `h1:` hash this test computes itself from the zip's
//!   contents (golang.org/x/mod/sumdb/dirhash Hash1); `terraform providers lock -fs-mirror=…` records the same; the
//!   quickstart applies against the simulator from the release's archive; and with that lock file, a zip whose
//!   contents were changed is refused by `terraform init`.
//! - `release_refuses_bad_input_and_writes_nothing`: a dirty tree, a version already released, a version missing
//!   from CHANGELOG.md, no signing key and a key not in the keyring are each refused with a clear message, before
//!   anything is built or written.
//!
//! gpg comes from `scripts/ensure-gpg` (installed with apt-get when missing, never skipped); python3, a project
//! prerequisite, reads the zips.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use base64::Engine as _;
use ovh_api_sim::Fixture;
use support::{PROVIDER_SOURCE, TestSim, TfOutput, TfWorkdir, hcl_string};
use tempfile::TempDir;

const NAME: &str = "terraform-provider-ovhiplb";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Terraform's name for this machine's platform, as the release command names it.
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// Where the release test keeps its checkout and the cargo target directory of its release build, across runs:
/// `<target>/e2e-release/`. A target directory of its own, because cargo rebuilds the workspace's crates whenever
/// the same target directory alternates between two source paths (the repository's `target/release`, which
/// `scripts/demo` uses, and this checkout's); a stable checkout path with the files' times kept, so that a run
/// after an unchanged one builds nothing, and after a change only what changed.
fn release_test_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_terraform-provider-ovhiplb"));
    binary
        .parent()
        .and_then(Path::parent)
        .expect("the provider binary is in <target>/<profile>/")
        .join("e2e-release")
}

/// Runs `command`, returning its output; panics if it cannot be started.
fn output(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs `command` and panics with its output unless it succeeds; returns stdout.
#[track_caller]
fn run_ok(command: &mut Command) -> String {
    let out = output(command);
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The path of gpg, installed by `scripts/ensure-gpg` if the machine has none (CI machines may not).
fn gpg() -> &'static Path {
    static GPG: OnceLock<PathBuf> = OnceLock::new();
    GPG.get_or_init(|| {
        let script = repo().join("scripts/ensure-gpg");
        let out = output(Command::new("bash").arg(&script));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{} found no gpg and could not install it; the release tests need one:\n{stderr}",
            script.display()
        );
        if !stderr.trim().is_empty() {
            eprintln!("{stderr}");
        }
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// A throwaway GPG home with one fresh signing key; its gpg-agent is stopped when dropped.
struct Keyring {
    home: TempDir,
    fingerprint: String,
}

impl Keyring {
    fn new() -> Self {
        // Under /tmp, short: gpg-agent's socket path must fit in a sockaddr_un.
        let home = tempfile::Builder::new()
            .prefix("ovhiplb-gpg-")
            .tempdir_in("/tmp")
            .expect("create GNUPGHOME");
        let mut keyring = Keyring {
            home,
            fingerprint: String::new(),
        };
        // RSA, as the public registry requires.
        run_ok(keyring.gpg().args([
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            "ovhiplb release test <release-test@ovhiplb.invalid>",
            "rsa2048",
            "sign",
            "never",
        ]));
        let listing = run_ok(keyring.gpg().args(["--with-colons", "--list-secret-keys"]));
        let fingerprint = listing
            .lines()
            .find_map(|line| line.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|field| field.len() == 40))
            .unwrap_or_else(|| panic!("no fingerprint in:\n{listing}"))
            .to_owned();
        keyring.fingerprint = fingerprint;
        keyring
    }

    /// `gpg --batch` on this keyring.
    fn gpg(&self) -> Command {
        let mut command = Command::new(gpg());
        command.env("GNUPGHOME", self.home.path()).arg("--batch");
        command
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        // gpgconf sits next to gpg (GnuPG installs them together).
        let _ = Command::new(gpg().with_file_name("gpgconf"))
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A clean git checkout of this working tree as it is (tracked and untracked files, ignored ones left out, so that
/// uncommitted work is what gets released), in one commit. File times are kept, so that cargo, building it into
/// the shared target directory, finds most of its work already done.
struct Checkout {
    dir: PathBuf,
    /// Set for a throwaway checkout, removed with it.
    _temp: Option<TempDir>,
}

impl Checkout {
    /// A checkout in a new temp dir.
    fn temporary() -> Self {
        let temp = tempfile::Builder::new()
            .prefix("ovhiplb-release-checkout-")
            .tempdir()
            .expect("create a temp dir");
        Self::create(temp.path().to_path_buf(), Some(temp))
    }

    /// A checkout at `dir`, replacing what was there.
    fn at(dir: PathBuf) -> Self {
        if dir.exists() {
            fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("remove {}: {e}", dir.display()));
        }
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        Self::create(dir, None)
    }

    fn create(dir: PathBuf, temp: Option<TempDir>) -> Self {
        let listing = run_ok(Command::new("git").current_dir(repo()).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]));
        for name in listing.split('\0').filter(|n| !n.is_empty()) {
            let from = repo().join(name);
            let Ok(meta) = fs::symlink_metadata(&from) else {
                continue; // deleted in the working tree, not committed yet
            };
            let to = dir.join(name);
            fs::create_dir_all(to.parent().expect("a parent")).expect("create a directory");
            if meta.file_type().is_symlink() {
                std::os::unix::fs::symlink(fs::read_link(&from).unwrap(), &to).unwrap();
                continue;
            }
            fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {name}: {e}"));
            let file = fs::File::options().write(true).open(&to).unwrap();
            file.set_modified(meta.modified().unwrap()).unwrap();
        }
        // Directories too (deepest first, as filling one changes its time): cargo's `rerun-if-changed` on a
        // directory (tfplugin5-runtime's proto/) compares the directory's own time.
        let unique: BTreeSet<&Path> = listing
            .split('\0')
            .filter(|n| !n.is_empty())
            .flat_map(|name| Path::new(name).ancestors().skip(1))
            .filter(|d| !d.as_os_str().is_empty())
            .collect();
        let mut dirs: Vec<&Path> = unique.into_iter().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for relative in dirs {
            if let (Ok(meta), Ok(copy)) = (
                fs::metadata(repo().join(relative)),
                fs::File::open(dir.join(relative)),
            ) {
                copy.set_modified(meta.modified().unwrap()).unwrap();
            }
        }
        let checkout = Checkout { dir, _temp: temp };
        checkout.git(&["init", "--quiet", "--initial-branch=main"]);
        checkout.commit("the working tree");
        checkout
    }

    fn path(&self) -> &Path {
        &self.dir
    }

    fn git(&self, args: &[&str]) -> String {
        run_ok(
            Command::new("git")
                .current_dir(self.path())
                .args([
                    "-c",
                    "user.name=release test",
                    "-c",
                    "user.email=release-test@ovhiplb.invalid",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args),
        )
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
    }

    /// `scripts/release ARGS` of this checkout with `keyring`'s key (or none), into `out`.
    fn release(&self, keyring: Option<&Keyring>, out: &Path, extra_env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(self.path().join("scripts/release"));
        command
            .current_dir(self.path())
            .arg("--out")
            .arg(out)
            .env("CARGO_TARGET_DIR", release_test_dir().join("target"))
            .env_remove("GPG_FINGERPRINT")
            .env_remove("SOURCE_DATE_EPOCH");
        if let Some(keyring) = keyring {
            command
                .env("GNUPGHOME", keyring.home.path())
                .env("GPG_FINGERPRINT", &keyring.fingerprint);
        }
        command.envs(extra_env.iter().copied());
        // gpg may have been installed into a directory that is not on PATH.
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![gpg().parent().unwrap().to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        command.env("PATH", std::env::join_paths(dirs).unwrap());
        let result = output(&mut command);
        eprintln!(
            "$ scripts/release --out {} (exit {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.display(),
            result.status.code(),
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        result
    }
}

// ----- reading the artifacts --------------------------------------------------------------------------------------

/// SHA-256, from the TLS stack's crypto provider (aws-lc), already a dependency of the tests.
fn sha256(data: &[u8]) -> Vec<u8> {
    let suite = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256
        .tls13()
        .expect("a TLS 1.3 suite");
    suite.common.hash_provider.hash(data).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// golang.org/x/mod/sumdb/dirhash `Hash1`, Terraform's `h1:` package hash: base64 of the SHA-256 of the lines
/// `hex(sha256(content))  name\n`, one per file, sorted by name (Go's byte-wise sort.Strings).
fn dirhash_h1(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut summary = String::new();
    for (name, content) in sorted {
        assert!(
            !name.contains('\n'),
            "dirhash refuses file names with newlines"
        );
        summary.push_str(&format!("{}  {name}\n", hex(&sha256(content))));
    }
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(sha256(summary.as_bytes()))
    )
}

/// Every entry of a zip (name, content, unix mode), read by Python's zipfile.
fn zip_entries(zip: &Path) -> Vec<(String, Vec<u8>, u32)> {
    const READ: &str = "import base64, json, sys, zipfile\n\
        with zipfile.ZipFile(sys.argv[1]) as z:\n\
        \x20   print(json.dumps([[i.filename, base64.b64encode(z.read(i)).decode(), i.external_attr >> 16]\n\
        \x20                     for i in z.infolist()]))\n";
    let json = run_ok(Command::new("python3").args(["-c", READ]).arg(zip));
    let entries: Vec<(String, String, u32)> =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("zip listing {json:?}: {e}"));
    entries
        .into_iter()
        .map(|(name, content, mode)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content)
                .expect("base64 from python");
            (name, bytes, mode)
        })
        .collect()
}

/// Writes a zip of `entries` (name, content, mode) with Python's zipfile.
fn write_zip(zip: &Path, entries: &[(String, Vec<u8>, u32)]) {
    const WRITE: &str = "import base64, json, sys, zipfile\n\
        with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
        \x20   for name, content, mode in json.load(sys.stdin):\n\
        \x20       info = zipfile.ZipInfo(name)\n\
        \x20       info.create_system, info.external_attr = 3, mode << 16\n\
        \x20       z.writestr(info, base64.b64decode(content))\n";
    let payload: Vec<(String, String, u32)> = entries
        .iter()
        .map(|(n, c, m)| {
            (
                n.clone(),
                base64::engine::general_purpose::STANDARD.encode(c),
                *m,
            )
        })
        .collect();
    let mut child = Command::new("python3")
        .args(["-c", WRITE])
        .arg(zip)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run python3");
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        serde_json::to_string(&payload).unwrap().as_bytes(),
    )
    .unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "writing {}", zip.display());
}

/// The hashes a lock file records for the provider: (version, hashes).
fn locked(workdir: &TfWorkdir) -> (String, BTreeSet<String>) {
    let path = workdir.path().join(".terraform.lock.hcl");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let block = text
        .split_once(&format!("provider {}", hcl_string(PROVIDER_SOURCE)))
        .unwrap_or_else(|| panic!("no entry for {PROVIDER_SOURCE}:\n{text}"))
        .1;
    let quoted = |key: &str| -> Vec<String> {
        let after = block
            .split_once(key)
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
            .1;
        let end = if key == "hashes" {
            after.find(']').expect("a closed list")
        } else {
            after.find('\n').unwrap_or(after.len())
        };
        after[..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let version = quoted("version").into_iter().next().expect("a version");
    (version, quoted("hashes").into_iter().collect())
}

/// A working directory whose CLI config installs the provider from `mirror` only (no dev_overrides, no registry).
fn mirror_workdir(mirror: &Path) -> TfWorkdir {
    let mut workdir = TfWorkdir::new();
    let config = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {}\n    include = [{}]\n  }}\n  \
         direct {{\n    exclude = [{}]\n  }}\n}}\n",
        hcl_string(&mirror.to_string_lossy()),
        hcl_string(PROVIDER_SOURCE),
        hcl_string(PROVIDER_SOURCE)
    );
    workdir.write(".mirror.tfrc", &config);
    let config_path = workdir.path().join(".mirror.tfrc");
    workdir.set_env("TF_CLI_CONFIG_FILE", config_path);
    for file in ["versions.tf", "variables.tf", "main.tf", "outputs.tf"] {
        let text = fs::read_to_string(repo().join("examples/quickstart").join(file)).unwrap();
        workdir.write(file, &text);
    }
    let tfvars = fs::read_to_string(repo().join("examples/quickstart/sim.tfvars")).unwrap();
    workdir.write("terraform.tfvars", &tfvars);
    workdir
}

#[track_caller]
fn assert_installed_from_mirror(init: &TfOutput) {
    init.assert_success()
        .assert_contains(&[&format!("Installed ovhiplb/ovhiplb v{VERSION}")]);
    let text = init.combined();
    assert!(
        !text.contains("development overrides") && !text.contains("dev_overrides"),
        "{init}"
    );
}

// ----- the tests --------------------------------------------------------------------------------------------------

#[test]
fn release_installs_with_terraform_init() {
    let keyring = Keyring::new();
    let checkout = Checkout::at(release_test_dir().join("checkout"));
    let work = TempDir::new().unwrap();
    let dist = work.path().join("dist");

    let release = checkout.release(Some(&keyring), &dist, &[]);
    assert!(
        release.status.success(),
        "the release failed (output above)"
    );

    // Exactly the registry's files, and the simulator's archive.
    let plat = platform();
    let provider_zip = format!("{NAME}_{VERSION}_{plat}.zip");
    let sim_zip = format!("ovh-api-sim_{VERSION}_{plat}.zip");
    let manifest = format!("{NAME}_{VERSION}_manifest.json");
    let sums = format!("{NAME}_{VERSION}_SHA256SUMS");
    let sig = format!("{sums}.sig");
    let files: BTreeSet<String> = fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = [&provider_zip, &sim_zip, &manifest, &sums, &sig]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(files, expected, "files of the release (no temp dir left)");

    // The provider zip holds exactly the binary, executable, and it is this version's provider.
    let entries = zip_entries(&dist.join(&provider_zip));
    let names: Vec<&str> = entries.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(names, [format!("{NAME}_v{VERSION}")]);
    assert_eq!(entries[0].2 & 0o777, 0o755, "the binary's mode");
    assert!(entries[0].1.starts_with(b"\x7fELF") || cfg!(not(target_os = "linux")));
    let sim_entries = zip_entries(&dist.join(&sim_zip));
    let sim_names: BTreeSet<&str> = sim_entries.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(
        sim_names,
        BTreeSet::from([
            "ovh-api-sim",
            "README.md",
            "BEHAVIOUR.md",
            "fixtures/example.json"
        ])
    );

    // The manifest declares protocol 5.0.
    let manifest_json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dist.join(&manifest)).unwrap()).unwrap();
    assert_eq!(
        manifest_json,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["5.0"]}})
    );

    // SHA256SUMS: `sha256  name` for every file but itself and its signature, each checked here.
    let sums_text = fs::read_to_string(dist.join(&sums)).unwrap();
    let mut summed = BTreeSet::new();
    for line in sums_text.lines() {
        let (digest, name) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        assert_eq!(
            digest,
            hex(&sha256(&fs::read(dist.join(name)).unwrap())),
            "{name}"
        );
        summed.insert(name.to_owned());
    }
    let expected_summed: BTreeSet<String> = [&provider_zip, &sim_zip, &manifest]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(summed, expected_summed);

    // The detached signature verifies with the key's public half, and only for these exact checksums.
    let public_key = work.path().join("release-key.gpg");
    run_ok(
        keyring
            .gpg()
            .args(["--output"])
            .arg(&public_key)
            .args(["--export", &keyring.fingerprint]),
    );
    let verify = |sums_file: &Path| {
        output(
            Command::new(gpg())
                .arg("--batch")
                .env("GNUPGHOME", work.path())
                .args(["--no-default-keyring", "--keyring"])
                .arg(&public_key)
                .arg("--verify")
                .arg(dist.join(&sig))
                .arg(sums_file),
        )
    };
    let verified = verify(&dist.join(&sums));
    assert!(
        verified.status.success(),
        "the signature does not verify: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let forged = work.path().join("forged-SHA256SUMS");
    fs::write(&forged, sums_text.replacen('0', "1", 1)).unwrap();
    assert!(
        !verify(&forged).status.success(),
        "a changed SHA256SUMS must not verify"
    );

    // The h1: hash of the package, computed here from the zip's contents.
    let package_files: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, c, _)| (n.clone(), c.clone()))
        .collect();
    let h1 = dirhash_h1(&package_files);
    assert!(
        String::from_utf8_lossy(&release.stdout).contains(&h1),
        "the release command prints the package's h1 hash {h1}"
    );

    // Packed mirror: the zip as released.
    let packed = work.path().join("packed");
    let packed_dir = packed.join(PROVIDER_SOURCE);
    fs::create_dir_all(&packed_dir).unwrap();
    fs::copy(dist.join(&provider_zip), packed_dir.join(&provider_zip)).unwrap();
    // Unpacked mirror: the zip's contents under VERSION/OS_ARCH/.
    let unpacked = work.path().join("unpacked");
    let unpacked_dir = unpacked.join(PROVIDER_SOURCE).join(VERSION).join(&plat);
    fs::create_dir_all(&unpacked_dir).unwrap();
    for (name, content, mode) in &entries {
        write_file(&unpacked_dir.join(name), content, *mode);
    }

    for mirror in [&packed, &unpacked] {
        // A real init from the mirror: the lock file records the package's h1 hash, and nothing else (a mirror
        // gives Terraform no zh: hash; only a registry does).
        let workdir = mirror_workdir(mirror);
        assert_installed_from_mirror(&workdir.init());
        assert_eq!(
            locked(&workdir),
            (VERSION.to_owned(), BTreeSet::from([h1.clone()]))
        );

        // `terraform providers lock` from the same mirror writes the same lock entry.
        let lock_only = mirror_workdir(mirror);
        lock_only.run_ok(&[
            "providers",
            "lock",
            &format!("-fs-mirror={}", mirror.display()),
            &format!("-platform={plat}"),
        ]);
        assert_eq!(
            locked(&lock_only),
            (VERSION.to_owned(), BTreeSet::from([h1.clone()]))
        );
    }

    // The quickstart, applied with the released provider against the released simulator's fixture format.
    let fixture = Fixture::from_file(repo().join("examples/quickstart/sim-fixture.json")).unwrap();
    let sim = TestSim::with_fixture(fixture);
    let mut workdir = mirror_workdir(&packed);
    for (name, value) in sim.credential_env() {
        workdir.set_env(name, value);
    }
    workdir.run_ok(&[
        "providers",
        "lock",
        &format!("-fs-mirror={}", packed.display()),
        &format!("-platform={plat}"),
    ]);
    let init = workdir.init();
    assert_installed_from_mirror(&init);
    assert!(
        !init.combined().contains("Incomplete lock file information"),
        "with the lock file written first, init has nothing to warn about:\n{init}"
    );
    workdir.apply();
    assert_eq!(
        workdir.plan_detailed_exitcode().code,
        Some(0),
        "no change after apply"
    );
    // The quickstart's three frontends, beside the fixture's one of "another team's configuration".
    assert_eq!(sim.quickstart_frontends().len(), 3, "{:#}", sim.state());
    workdir.destroy();

    // Tampering: the same lock file, a zip of the same name whose binary was changed. init refuses it, in both
    // layouts.
    let lock_file = fs::read_to_string(workdir.path().join(".terraform.lock.hcl")).unwrap();
    let mut tampered_entries = entries.clone();
    tampered_entries[0].1.extend_from_slice(b"tampered");
    let tampered = work.path().join("tampered");
    let tampered_dir = tampered.join(PROVIDER_SOURCE);
    fs::create_dir_all(&tampered_dir).unwrap();
    write_zip(&tampered_dir.join(&provider_zip), &tampered_entries);
    let tampered_unpacked = work.path().join("tampered-unpacked");
    let tampered_unpacked_dir = tampered_unpacked
        .join(PROVIDER_SOURCE)
        .join(VERSION)
        .join(&plat);
    fs::create_dir_all(&tampered_unpacked_dir).unwrap();
    write_file(
        &tampered_unpacked_dir.join(&tampered_entries[0].0),
        &tampered_entries[0].1,
        0o755,
    );
    for mirror in [&tampered, &tampered_unpacked] {
        let workdir = mirror_workdir(mirror);
        workdir.write(".terraform.lock.hcl", &lock_file);
        let init = workdir.run(&["init", "-input=false", "-no-color"]);
        init.assert_failure();
        let text = init.combined().replace('\n', " ");
        assert!(
            text.contains("checksums previously recorded in the dependency lock file")
                || text.contains("doesn't match any of the checksums"),
            "init must refuse a package that does not match the lock file:\n{init}"
        );
        assert!(
            !workdir.path().join(".terraform/providers").exists()
                || fs::read_dir(workdir.path().join(".terraform/providers"))
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(true),
            "nothing may be installed"
        );
    }
}

#[test]
fn release_refuses_bad_input_and_writes_nothing() {
    let keyring = Keyring::new();
    let checkout = Checkout::temporary();
    let work = TempDir::new().unwrap();

    // Each refusal: exit 1, the reason on stderr, "nothing was released", and `out` as it was.
    let refused = |keyring: Option<&Keyring>, out: &Path, env: &[(&str, &str)], reason: &[&str]| {
        let before = listing(out);
        let result = checkout.release(keyring, out, env);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{stderr}");
        for expected in reason.iter().chain(&["nothing was released"]) {
            assert!(
                stderr.contains(expected),
                "{expected:?} missing from:\n{stderr}"
            );
        }
        assert!(
            !stderr.contains("Compiling") && !stderr.contains("building"),
            "refused after starting to build:\n{stderr}"
        );
        assert_eq!(listing(out), before, "the output dir changed");
    };

    // No signing key; a fingerprint that is not one; a key not in the keyring.
    let out = work.path().join("dist");
    refused(None, &out, &[], &["no signing key", "GPG_FINGERPRINT"]);
    refused(
        Some(&keyring),
        &out,
        &[("GPG_FINGERPRINT", "ABCD1234")],
        &["not a full key fingerprint"],
    );
    let unknown = "0123456789ABCDEF0123456789ABCDEF01234567";
    refused(
        Some(&keyring),
        &out,
        &[("GPG_FINGERPRINT", unknown)],
        &["no secret key with fingerprint", unknown],
    );

    // A version already released: any of its files in the output dir.
    let released = work.path().join("released");
    fs::create_dir_all(&released).unwrap();
    let sums = format!("{NAME}_{VERSION}_SHA256SUMS");
    fs::write(released.join(&sums), "earlier release\n").unwrap();
    refused(
        Some(&keyring),
        &released,
        &[],
        &[&format!("version {VERSION} is already released"), &sums],
    );
    assert_eq!(
        fs::read_to_string(released.join(&sums)).unwrap(),
        "earlier release\n"
    );

    // A dirty tree: a changed tracked file, then an untracked one.
    let readme = checkout.path().join("README.md");
    let original = fs::read_to_string(&readme).unwrap();
    fs::write(&readme, format!("{original}\nlocal edit\n")).unwrap();
    refused(
        Some(&keyring),
        &out,
        &[],
        &["working tree is not clean", "README.md"],
    );
    fs::write(&readme, &original).unwrap();
    fs::write(checkout.path().join("notes.txt"), "scratch\n").unwrap();
    refused(
        Some(&keyring),
        &out,
        &[],
        &["working tree is not clean", "notes.txt"],
    );
    fs::remove_file(checkout.path().join("notes.txt")).unwrap();

    // A version CHANGELOG.md does not describe.
    let changelog = checkout.path().join("CHANGELOG.md");
    let text = fs::read_to_string(&changelog).unwrap();
    fs::write(
        &changelog,
        text.replace(&format!("## {VERSION}"), "## 0.0.0"),
    )
    .unwrap();
    checkout.commit("no changelog section");
    refused(
        Some(&keyring),
        &out,
        &[],
        &[&format!("CHANGELOG.md has no section for {VERSION}")],
    );
}

/// Writes `content` to `path` with the permission bits of `mode`.
fn write_file(path: &Path, content: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, content).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o777)).unwrap();
}

/// The names in a directory (empty when it does not exist).
fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}
