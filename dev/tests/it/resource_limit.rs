//! CloudFormation takes at most 500 resources per stack, counted after the
//! SAM transform, and the template is to grow to about three times its
//! functions. On 48 functions the transformed template has 258 resources;
//! each function brings about five (function, role, log group, errors alarm,
//! invoke permission). Should the count near the limit, the plan is a nested
//! stack per service (`AWS::Serverless::Application`).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;

const LIMIT: usize = 500;
/// Fail with room to spare for the split into nested stacks.
const FAIL_AT: usize = 450;

/// The SAM CLI's own transform, as `sam validate` runs it, with the managed
/// policy names samtranslator ships instead of IAM's list: no AWS access.
/// Prints the transformed template's resource count per type, as JSON.
const TRANSFORM: &str = r#"
import collections, json, sys
from samcli.lib.translate.sam_template_validator import SamTemplateValidator
from samcli.yamlhelper import yaml_parse
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

class BundledPolicies:
    def load(self):
        return get_bundled_managed_policy_map("aws") or {}

with open(sys.argv[1], encoding="utf-8") as f:
    template = yaml_parse(f.read())
validator = SamTemplateValidator(template, BundledPolicies(), region="us-east-1")
resources = yaml_parse(validator.get_translated_template_if_valid())["Resources"]
print(json.dumps(collections.Counter(r["Type"] for r in resources.values())))
"#;

#[test]
fn the_transformed_template_stays_well_under_cloudformations_resource_limit() {
    let python = dev::install::sam().unwrap().join("python");
    let template = dev::root().join("template.yaml");
    // Isolated (-I): no module of the working directory or PYTHON* variable
    // can stand in for the venv's.
    let out = Command::new(&python)
        .args(["-I", "-c", TRANSFORM])
        .arg(&template)
        .current_dir(dev::root())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "transforming {}: {}",
        template.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let by_type: BTreeMap<String, usize> = serde_json::from_slice(&out.stdout).unwrap();
    let total: usize = by_type.values().sum();
    let breakdown: Vec<String> = by_type.iter().map(|(t, n)| format!("{n} {t}")).collect();
    // Past the harness's capture, so every run shows the count.
    let _ = writeln!(
        std::io::stderr(),
        "template.yaml transforms to {total} resources (CloudFormation's limit {LIMIT}, \
         this test fails at {FAIL_AT}): {}",
        breakdown.join(", ")
    );
    assert!(
        total < FAIL_AT,
        "template.yaml transforms to {total} resources, {FAIL_AT} or more of the {LIMIT} a stack \
         may hold: split it into a nested stack per service (AWS::Serverless::Application)"
    );
}
