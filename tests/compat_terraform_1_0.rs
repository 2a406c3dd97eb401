//! The cluster lifecycle on Terraform 1.0, the oldest CLI the provider supports: plugin
//! protocol 6 arrived in Terraform 1.0, and its core is stricter or different in places
//! (plan rendering, import, `show -json`).
//!
//! `TERRAFORM_1_0_BIN` names the binary; `./scripts/test.sh` downloads Terraform 1.0.3 into
//! `.tools/` and sets it. Without it this test fails rather than silently skipping.

mod support;

use std::path::PathBuf;

use support::cluster::lifecycle;
use support::{Mock, Terraform};

fn terraform_1_0() -> PathBuf {
    match std::env::var_os("TERRAFORM_1_0_BIN").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "TERRAFORM_1_0_BIN={} does not exist; run ./scripts/test.sh to download Terraform 1.0.3",
                path.display()
            );
            path
        }
        None => panic!(
            "TERRAFORM_1_0_BIN is not set. Run the tests through ./scripts/test.sh, which \
             downloads Terraform 1.0.3 into .tools/ and sets TERRAFORM_1_0_BIN, or point it at a \
             Terraform 1.0.x binary yourself."
        ),
    }
}

#[test]
fn cluster_lifecycle_on_terraform_1_0() {
    let mock = Mock::start(&[]);
    let tf = Terraform::with_binary(&mock, terraform_1_0());
    let version = tf.version();
    assert!(
        version.starts_with("1.0."),
        "TERRAFORM_1_0_BIN runs Terraform {version}, not 1.0.x"
    );
    lifecycle(&mock, &tf);
}
